import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

const body = (content: string) => `<mjml>
  <mj-body>
    <mj-section>
      <mj-column>
        ${content}
        <mj-text>{{sender.address}} <a href="{{unsubscribe_url}}">Unsubscribe</a></mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`;

describe('templates', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { PUBLIC_URL: 'https://mail.example.org' } });
  });
  afterAll(async () => t.close());

  const create = (payload: Record<string, unknown>) =>
    t.request<Record<string, any>>('POST', '/api/v1/templates', {
      body: { name: 'Test', subject: 'Hi {{first_name}}', body: body('<mj-text>Hello</mj-text>'), ...payload },
    });

  it('seeds the six starter templates once, listed without bodies and usable from the API', async () => {
    const list = await t.request<{ items: Record<string, any>[]; nextCursor: string | null }>(
      'GET',
      '/api/v1/templates?limit=100',
    );
    expect(list.status).toBe(200);
    const starters = list.body.items.filter((i) => i.starter !== null);
    expect(starters.map((s) => s.starter).sort()).toEqual(
      ['announcement', 'event-invitation', 'newsletter', 'plain-letter', 'promotion', 'welcome'].sort(),
    );
    expect(list.body.items[0]).not.toHaveProperty('body');

    const { rows } = await t.db.query(`SELECT value FROM settings WHERE key = 'templates_seeded'`);
    expect(rows).toHaveLength(1);

    const one = await t.request<Record<string, any>>('GET', `/api/v1/templates/${starters[0].id}`);
    expect(one.body.body).toContain('<mjml>');
    const preview = await t.request<Record<string, any>>('POST', `/api/v1/templates/${starters[0].id}/preview`, {
      body: {},
    });
    expect(preview.status).toBe(200);
    expect(preview.body.warnings).toEqual([]);
  });

  it('does not seed again, even after a starter was deleted', async () => {
    const before = await t.db.query(`SELECT id FROM templates WHERE starter IS NOT NULL ORDER BY id`);
    expect((await t.request('DELETE', `/api/v1/templates/${before.rows[0].id}`)).status).toBe(204);
    const { TemplatesService } = await import('../../libs/templates/src/index.js');
    expect(await t.app.get(TemplatesService).seedStarters()).toBe(false);
    const after = await t.db.query(`SELECT id FROM templates WHERE starter IS NOT NULL`);
    expect(after.rowCount).toBe(before.rowCount! - 1);
  });

  it('creates, reads, updates and deletes a template', async () => {
    const created = await create({ name: 'Spring', preheader: 'Fresh', textBody: 'Hi {{first_name}}' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Spring',
      subject: 'Hi {{first_name}}',
      preheader: 'Fresh',
      format: 'mjml',
      textBody: 'Hi {{first_name}}',
      starter: null,
    });
    const id = created.body.id as string;

    const patched = await t.request<Record<string, any>>('PATCH', `/api/v1/templates/${id}`, {
      body: { name: 'Spring 2', textBody: null },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Spring 2', textBody: null, subject: 'Hi {{first_name}}' });
    expect(Date.parse(patched.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.body.updatedAt));

    expect((await t.request('GET', `/api/v1/templates/${id}`)).body).toMatchObject({ name: 'Spring 2' });
    expect((await t.request('DELETE', `/api/v1/templates/${id}`)).status).toBe(204);
    expect((await t.request('GET', `/api/v1/templates/${id}`)).status).toBe(404);
    expect((await t.request('DELETE', `/api/v1/templates/${id}`)).status).toBe(404);
    expect((await t.request('PATCH', `/api/v1/templates/${id}`, { body: { name: 'x' } })).status).toBe(404);
  });

  it('pages with a cursor', async () => {
    for (let i = 0; i < 3; i += 1) await create({ name: `Paged ${i}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/api/v1/templates?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await t.request<{ items: { id: string }[]; nextCursor: string | null }>('GET', path);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((i) => i.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    const { rows } = await t.db.query(`SELECT id::text AS tid FROM templates ORDER BY id`);
    expect(seen).toEqual(rows.map((r) => r.tid));
    expect((await t.request('GET', '/api/v1/templates?cursor=bogus')).status).toBe(400);
  });

  it('answers invalid MJML with 422, the line and the body field, and stores nothing', async () => {
    const count = async () => Number((await t.db.query('SELECT count(*) FROM templates')).rows[0].count);
    const before = await count();
    const res = await create({
      body: `<mjml>\n  <mj-body>\n    <mj-section>\n      <mj-text>outside a column</mj-text>\n    </mj-section>\n  </mj-body>\n</mjml>`,
    });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ statusCode: 422, error: 'Unprocessable Entity' });
    expect(res.body.fields.body).toMatch(/^line 4: <mj-text>/);
    expect(await count()).toBe(before);
  });

  it('answers invalid Handlebars with 422 naming subject, body or textBody with line and column', async () => {
    const subject = await create({ subject: 'Hi {{#if first_name}}' });
    expect(subject.status).toBe(422);
    expect(subject.body.fields.subject).toMatch(/^line 1, column \d+: /);

    const bodyError = await create({ body: body('<mj-text>\n  Hi {{first_name</mj-text>') });
    expect(bodyError.status).toBe(422);
    expect(bodyError.body.fields.body).toMatch(/^line 6, column \d+: /);
    expect(bodyError.body.message).toContain('body line 6');

    const text = await create({ textBody: 'ok\n{{> partial}}' });
    expect(text.status).toBe(422);
    expect(text.body.fields.textBody).toMatch(/^line 2, column 1: partials/);

    const triple = await create({ body: body('<mj-text>{{{first_name}}}</mj-text>') });
    expect(triple.status).toBe(422);
    expect(triple.body.fields.body).toMatch(/triple braces/);
  });

  it('refuses a PATCH that would stop the template compiling, leaving it unchanged', async () => {
    const created = await create({});
    const res = await t.request<Record<string, any>>('PATCH', `/api/v1/templates/${created.body.id}`, {
      body: { body: '<mjml><mj-body><mj-column></mj-column></mj-body></mjml>', name: 'Broken' },
    });
    expect(res.status).toBe(422);
    expect(res.body.fields).toHaveProperty('body');
    const after = await t.request<Record<string, any>>('GET', `/api/v1/templates/${created.body.id}`);
    expect(after.body).toMatchObject({ name: 'Test', body: created.body.body });
  });

  it('rejects malformed input with 400 naming the field', async () => {
    const missing = await t.request<Record<string, any>>('POST', '/api/v1/templates', { body: { name: 'x' } });
    expect(missing.status).toBe(400);
    expect(Object.keys(missing.body.fields)).toEqual(expect.arrayContaining(['subject', 'body']));
    const badFormat = await create({ format: 'docx' });
    expect(badFormat.status).toBe(400);
    expect(badFormat.body.fields).toHaveProperty('format');
    const extra = await create({ compiled: true });
    expect(extra.status).toBe(400);
    expect(extra.body.fields).toHaveProperty('compiled');
    const nullName = await t.request<Record<string, any>>('PATCH', '/api/v1/templates/1', { body: { name: null } });
    expect(nullName.status).toBe(400);
    expect(nullName.body.fields).toHaveProperty('name');
    expect((await t.request('GET', '/api/v1/templates/abc')).status).toBe(400);
    expect((await t.request('GET', '/api/v1/templates/99999999')).status).toBe(404);
  });

  it('cannot read files on the server through mj-include', async () => {
    const res = await create({ body: body('<mj-include path="/etc/passwd" /><mj-text>x</mj-text>') });
    expect(res.status).toBe(201);
    const preview = await t.request<Record<string, any>>('POST', `/api/v1/templates/${res.body.id}/preview`, {
      body: {},
    });
    expect(preview.body.html).not.toMatch(/root:/);
  });

  it('answers 422 naming body for 5,000 nested <div> in mj-raw, which would overflow the stack', async () => {
    const res = await create({
      body: body(`<mj-raw>${'<div>'.repeat(5000)}x${'</div>'.repeat(5000)}</mj-raw>`),
    });
    expect(res.status).toBe(422);
    expect(res.body.fields.body).toMatch(/^line 5, column \d+: elements nested more than 100 deep/);
  });

  it('stores a 500 KB HTML body of unclosed <a promptly: links are found in one pass', async () => {
    // Each `<a` made the old patterns rescan the rest: 20 s for 192 KB, minutes for this.
    const res = await create({ format: 'html', body: '<a '.repeat(170_000) });
    expect(res.status).toBe(201);
    expect((await t.request('GET', `/api/v1/templates/${res.body.id}`)).status).toBe(200);
  });

  describe('preview', () => {
    let id: string;
    let contactId: string;
    beforeAll(async () => {
      await t.db.query(`INSERT INTO fields (name, type) VALUES ('company', 'text'), ('joined', 'date')`);
      const contact = await t.db.query(
        `INSERT INTO contacts (email, first_name, attributes) VALUES ($1, $2, $3) RETURNING id::text`,
        ['ada@example.com', '<b>Ada</b>', { company: 'Analytical & Co' }],
      );
      contactId = contact.rows[0].id;
      const created = await create({
        subject: 'News for {{default first_name "you"}}',
        preheader: 'Hello {{first_name}}',
        body: body(
          '<mj-text>Hi {{default first_name "there"}} at {{company}}. <a href="https://shop.example/?e={{email}}">Shop</a></mj-text>',
        ),
      });
      id = created.body.id;
    });

    it('renders for a contact, escaping its values, with links to their real destinations', async () => {
      const res = await t.request<Record<string, any>>('POST', `/api/v1/templates/${id}/preview`, {
        body: { contactId },
      });
      expect(res.status).toBe(200);
      expect(res.body.subject).toBe('News for <b>Ada</b>');
      expect(res.body.html).toContain('Hi &lt;b&gt;Ada&lt;/b&gt; at Analytical &amp; Co.');
      expect(res.body.html).not.toContain('<b>Ada</b>');
      expect(res.body.html).toContain('href="https://shop.example/?e=ada@example.com"');
      expect(res.body.html).toContain('href="https://mail.example.org/u/preview"');
      expect(res.body.html).not.toContain('/t/o/');
      expect(res.body.text).toContain('Hi <b>Ada</b> at Analytical & Co.');
      expect(res.body.sizeBytes).toBe(Buffer.byteLength(res.body.html));
      expect(res.body.links).toEqual([{ index: 0, url: 'https://shop.example/?e={{email}}' }]);
      expect(res.body.warnings).toEqual([]);
    });

    it('renders sample data laid over built-in sample values from the custom fields', async () => {
      const sample = await t.request<Record<string, any>>('POST', `/api/v1/templates/${id}/preview`, { body: {} });
      expect(sample.body.html).toContain('Hi Jane at Sample company.');
      const data = await t.request<Record<string, any>>('POST', `/api/v1/templates/${id}/preview`, {
        body: { data: { first_name: 'Grace', company: 'Navy' } },
      });
      expect(data.body.subject).toBe('News for Grace');
      expect(data.body.html).toContain('Hi Grace at Navy.');
    });

    it('warns about a missing unsubscribe link, images without alt, http links and size', async () => {
      const big = 'x'.repeat(105 * 1024);
      const created = await create({
        body: `<mjml><mj-body><mj-section><mj-column>
          <mj-image src="https://img.example/a.png" />
          <mj-text><a href="http://plain.example/">plain</a> ${big}</mj-text>
        </mj-column></mj-section></mj-body></mjml>`,
      });
      const res = await t.request<Record<string, any>>('POST', `/api/v1/templates/${created.body.id}/preview`, {
        body: {},
      });
      const codes = res.body.warnings.map((w: { code: string }) => w.code);
      expect(codes).toEqual(
        expect.arrayContaining(['no_unsubscribe_link', 'images_without_alt', 'insecure_links', 'html_too_large']),
      );
      expect(res.body.warnings).toContainEqual({
        code: 'no_unsubscribe_link',
        message: 'no unsubscribe link: a standard footer was added',
      });
      expect(res.body.html).toContain('href="https://mail.example.org/u/preview"');
      expect(res.body.sizeBytes).toBeGreaterThan(102 * 1024);
    });

    it('renders a draft that is not saved, as a contact would get it, and stores nothing', async () => {
      const before = (await t.db.query('SELECT count(*)::int AS n FROM templates')).rows[0].n;
      const res = await t.request<Record<string, any>>('POST', '/api/v1/templates/preview', {
        body: {
          subject: 'Draft for {{first_name}}',
          body: body('<mj-text>Draft hello {{first_name}} at {{company}}</mj-text>'),
          contactId,
        },
      });
      expect(res.status).toBe(200);
      expect(res.body.subject).toBe('Draft for <b>Ada</b>');
      expect(res.body.html).toContain('Draft hello &lt;b&gt;Ada&lt;/b&gt; at Analytical &amp; Co');
      expect(res.body.sizeBytes).toBe(Buffer.byteLength(res.body.html));
      expect((await t.db.query('SELECT count(*)::int AS n FROM templates')).rows[0].n).toBe(before);
    });

    it('answers a draft that does not compile with 422 and its line, as a save would', async () => {
      const res = await t.request<Record<string, any>>('POST', '/api/v1/templates/preview', {
        body: {
          subject: 'Hi',
          body: `<mjml>\n  <mj-body>\n    <mj-section>\n      <mj-text>outside a column</mj-text>\n    </mj-section>\n  </mj-body>\n</mjml>`,
        },
      });
      expect(res.status).toBe(422);
      expect(res.body.fields.body).toMatch(/^line 4: <mj-text>/);
      const missing = await t.request<Record<string, any>>('POST', '/api/v1/templates/preview', {
        body: { body: '<mjml></mjml>' },
      });
      expect(missing.status).toBe(400);
      expect(missing.body.fields).toHaveProperty('subject');
    });

    it('answers 422 instead of stalling when loops multiply past the render limits', async () => {
      const loops = '{{#each @root.attributes}}'.repeat(6) + 'x' + '{{/each}}'.repeat(6);
      const created = await create({ format: 'html', body: `<p>${loops}</p>` });
      expect(created.status).toBe(201);
      // 20^6 = 64 million iterations: the process would be busy for minutes.
      const data = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'v']));
      const res = await t.request<Record<string, any>>('POST', `/api/v1/templates/${created.body.id}/preview`, {
        body: { data },
      });
      expect(res.status).toBe(422);
      expect(res.body.fields.body).toMatch(/ran more than 10,000 times for one message/);
      // Few enough values render as usual: the two sample fields and one more, 3^6 times.
      const few = await t.request<Record<string, any>>('POST', `/api/v1/templates/${created.body.id}/preview`, {
        body: { data: { k0: 'v' } },
      });
      expect(few.status).toBe(200);
      expect(few.body.html).toContain('x'.repeat(3 ** 6));
      expect((await t.request('GET', '/health', { auth: false })).status).toBe(200);
    });

    it('answers an unknown contact with 404, a malformed one with 400 and bad data with 400', async () => {
      expect(
        (await t.request('POST', `/api/v1/templates/${id}/preview`, { body: { contactId: '999999' } })).status,
      ).toBe(404);
      const malformed = await t.request<Record<string, any>>('POST', `/api/v1/templates/${id}/preview`, {
        body: { contactId: 'abc' },
      });
      expect(malformed.status).toBe(400);
      expect(malformed.body.fields).toHaveProperty('contactId');
      const notObject = await t.request<Record<string, any>>('POST', `/api/v1/templates/${id}/preview`, {
        body: { data: 'x' },
      });
      expect(notObject.status).toBe(400);
      expect(notObject.body.fields).toHaveProperty('data');
      // The body parser and validation drop "__proto__"; whatever survives must not pollute prototypes.
      const proto = await t.request<Record<string, any>>('POST', `/api/v1/templates/${id}/preview`, {
        raw: '{"data":{"first_name":"Eve","__proto__":{"polluted":"yes"},"a":{"__proto__":{"polluted":"yes"}}}}',
        headers: { 'content-type': 'application/json' },
      });
      expect(proto.status).toBe(200);
      expect(proto.body.subject).toBe('News for Eve');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      const deep = await t.request<Record<string, any>>('POST', `/api/v1/templates/${id}/preview`, {
        body: { data: { a: { b: { c: { d: { e: { f: 1 } } } } } } },
      });
      expect(deep.status).toBe(400);
      const huge = await t.request<Record<string, any>>('POST', `/api/v1/templates/${id}/preview`, {
        body: { data: { a: 'x'.repeat(70 * 1024) } },
      });
      expect(huge.status).toBe(400);
      const longValue = await t.request<Record<string, any>>('POST', `/api/v1/templates/${id}/preview`, {
        body: { data: { a: { b: 'x'.repeat(2001) } } },
      });
      expect(longValue.status).toBe(400);
      expect(longValue.body.fields).toEqual({ 'data.a.b': 'too long' });
      expect((await t.request('POST', '/api/v1/templates/999999/preview', { body: {} })).status).toBe(404);
    });
  });

  it('documents every template route in the OpenAPI document', async () => {
    const docs = await t.request<{ paths: Record<string, Record<string, unknown>> }>('GET', '/api/docs-json', {
      auth: false,
    });
    expect(Object.keys(docs.body.paths['/api/v1/templates'])).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(docs.body.paths['/api/v1/templates/{id}'])).toEqual(
      expect.arrayContaining(['get', 'patch', 'delete']),
    );
    expect(docs.body.paths['/api/v1/templates/{id}/preview']).toHaveProperty('post');
    expect(docs.body.paths['/api/v1/templates/preview']).toHaveProperty('post');
  });

  it('requires authentication', async () => {
    expect((await t.request('GET', '/api/v1/templates', { auth: false })).status).toBe(401);
  });
});
