import { randomBytes } from 'node:crypto';
import { type AppSecret, type HeraldConfig, MessageTokens } from '@herald/common';
import { describe, expect, it } from 'vitest';
import {
  type CompiledTemplate,
  compileTemplate,
  type CompileOptions,
  type TemplateSource,
} from './compile-template.js';
import { compileLinkUrl, type RenderData, TEMPLATE_LIMITS } from './handlebars.js';
import { type ContactData, parseClickToken, renderMessage, renderParts, templateData, trackingUrls } from './render.js';
import { MessageRenderer } from './message-renderer.js';
import { TemplateError } from './template-error.js';

const options: CompileOptions = {
  publicUrl: 'https://mail.example.org',
  sender: { name: 'Acme Ltd', address: '1 Main Street, Springfield' },
};
const key = new MessageTokens(randomBytes(32));
const contact = {
  email: 'jane@example.com',
  first_name: 'Jane',
  last_name: 'Doe',
  attributes: { company: 'Initech', plan: 'pro' },
};

const mjml = (content: string, head = '') => `<mjml>
  <mj-head>${head}</mj-head>
  <mj-body>
    <mj-section>
      <mj-column>
        ${content}
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`;

const source = (body: string, extra: Partial<TemplateSource> = {}): TemplateSource => ({
  subject: 'Hello {{first_name}}',
  format: 'mjml',
  body,
  ...extra,
});

async function compileError(src: TemplateSource): Promise<TemplateError> {
  const error = await compileTemplate(src, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TemplateError);
  return error as TemplateError;
}

const FOOTER =
  '<mj-text>{{sender.address}} <a href="{{unsubscribe_url}}">Unsubscribe</a> <a href="{{webview_url}}">Web</a></mj-text>';

describe('compileTemplate: links', () => {
  it('rewrites every http(s) link to a click placeholder and keeps a link table, sharing indexes for equal URLs', async () => {
    const compiled = await compileTemplate(
      source(
        mjml(`<mj-text>
          <a href="https://a.example/one?x=1&amp;y=2">one</a>
          <a href='http://b.example/two'>two</a>
          <a href="https://a.example/one?x=1&amp;y=2">again</a>
        </mj-text>
        <mj-button href="https://c.example/buy">Buy</mj-button>
        ${FOOTER}`),
      ),
      options,
    );
    expect(compiled.links).toEqual([
      { index: 0, url: 'https://a.example/one?x=1&y=2' },
      { index: 1, url: 'http://b.example/two' },
      { index: 2, url: 'https://c.example/buy' },
    ]);
    expect(compiled.sources.html).not.toContain('a.example');
    expect(compiled.sources.html.match(/href="\{\{__click\}\}0"/g)).toHaveLength(2);
    const msg = renderMessage(compiled, { messageId: '981', contact }, key);
    const clicks = [...msg.html.matchAll(/href="https:\/\/mail\.example\.org\/t\/c\/([^"]+)"/g)].map((m) => m[1]);
    expect(clicks).toHaveLength(4);
    for (const click of clicks) {
      const parsed = parseClickToken(click);
      expect(parsed).not.toBeNull();
      expect(key.verify(parsed!.token)).toBe('981');
    }
    expect(clicks.map((c) => parseClickToken(c)!.index)).toEqual([0, 1, 0, 2]);
    expect(compiled.warnings.map((w) => w.code)).toContain('insecure_links');
  });

  it('leaves mailto:, tel:, anchors and the unsubscribe and web-view links alone', async () => {
    const compiled = await compileTemplate(
      source(
        mjml(`<mj-text>
          <a href="mailto:help@example.com">mail</a> <a href="tel:+441234567">call</a> <a href="#top">top</a>
          <a href="{{unsubscribe_url}}">unsub</a> <a href="{{ webview_url }}">web</a> {{sender.address}}
        </mj-text>`),
      ),
      options,
    );
    expect(compiled.links).toEqual([]);
    const { html, token } = renderMessage(compiled, { messageId: '7', contact }, key);
    expect(html).toContain('href="mailto:help@example.com"');
    expect(html).toContain('href="tel:+441234567"');
    expect(html).toContain('href="#top"');
    expect(html).toContain(`href="https://mail.example.org/u/${token}"`);
    expect(html).toContain(`href="https://mail.example.org/w/${token}"`);
  });

  it('keeps personalised URLs as templates in the link table and renders them URL-encoded on click', async () => {
    const compiled = await compileTemplate(
      source(mjml(`<mj-button href="https://shop.example/?e={{email}}&amp;c={{company}}">Shop</mj-button>${FOOTER}`)),
      options,
    );
    expect(compiled.links).toEqual([{ index: 0, url: 'https://shop.example/?e={{email}}&c={{company}}' }]);
    const url = compileLinkUrl(compiled.links[0].url)({ email: 'a+b@example.com', company: 'Tom & Jerry <x>' });
    expect(url).toBe('https://shop.example/?e=a%2Bb%40example.com&c=Tom%20%26%20Jerry%20%3Cx%3E');
  });

  it('does not rewrite links when click tracking is off, and reports links built entirely from data', async () => {
    const compiled = await compileTemplate(
      source(
        mjml(`<mj-text><a href="https://a.example/{{plan}}">a</a> <a href="{{website}}">site</a></mj-text>${FOOTER}`),
      ),
      { ...options, trackClicks: false, trackOpens: false },
    );
    expect(compiled.links).toEqual([{ index: 0, url: 'https://a.example/{{plan}}' }]);
    const { html } = renderMessage(compiled, { messageId: '1', contact }, key);
    expect(html).toContain('href="https://a.example/pro"');
    expect(html).not.toContain('/t/o/');
    expect(compiled.warnings.map((w) => w.code)).toContain('untracked_links');
  });
});

describe('compileTemplate: personalisation and escaping', () => {
  it('keeps Handlebars through MJML in text, attributes and mj-raw blocks', async () => {
    const compiled = await compileTemplate(
      source(
        mjml(
          `<mj-text>Hi {{default first_name "there"}} from {{company}}, joined {{date joined "long"}}</mj-text>
           <mj-image src="https://img.example/{{plan}}.png" alt="{{plan}} plan" />
           <mj-raw>{{#if vip}}</mj-raw><mj-text>VIP corner</mj-text><mj-raw>{{/if}}</mj-raw>
           ${FOOTER}`,
          '<mj-title>For {{first_name}}</mj-title>',
        ),
      ),
      options,
    );
    const render = (c: ContactData) => renderMessage(compiled, { messageId: '5', contact: c }, key);
    const jane = render({ ...contact, attributes: { ...contact.attributes, joined: '2024-03-05T10:00:00Z' } });
    expect(jane.html).toContain('Hi Jane from Initech, joined March 5, 2024');
    expect(jane.html).toContain('src="https://img.example/pro.png"');
    expect(jane.html).toContain('<title>For Jane</title>');
    expect(jane.html).not.toContain('VIP corner');
    expect(jane.subject).toBe('Hello Jane');
    const vip = render({ ...contact, first_name: '  ', attributes: { vip: true } });
    expect(vip.html).toContain('Hi there from ,');
    expect(vip.html).toContain('VIP corner');
  });

  it('refuses expressions MJML would silently drop, with their line', async () => {
    const body = `<mjml>
  <mj-body>
    {{#if vip}}
    <mj-section><mj-column><mj-text>VIP</mj-text></mj-column></mj-section>
    {{/if}}
  </mj-body>
</mjml>`;
    const error = await compileError(source(body));
    expect(error.problems[0]).toMatchObject({ field: 'body', line: 3, column: 5 });
    expect(error.message).toContain('{{#if vip}}');
  });

  it('HTML-escapes contact values in the HTML but not in the subject and text part', async () => {
    const compiled = await compileTemplate(source(mjml(`<mj-text>Hello {{first_name}}</mj-text>${FOOTER}`)), options);
    const evil = { email: 'x@example.com', first_name: '<script>alert(1)</script> & "co"\r\nBcc: victim@example.com' };
    const msg = renderMessage(compiled, { messageId: '2', contact: evil }, key);
    expect(msg.html).not.toContain('<script>');
    expect(msg.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;co&quot;');
    expect(msg.subject).toBe('Hello <script>alert(1)</script> & "co" Bcc: victim@example.com');
    expect(msg.subject).not.toMatch(/[\r\n]/);
    expect(msg.text).toContain('Hello <script>alert(1)</script> & "co"');
  });

  it('rejects triple-stash and {{& }} in the HTML, which would let a contact value inject markup', async () => {
    for (const expr of ['{{{first_name}}}', '{{& first_name}}']) {
      const error = await compileError(source(mjml(`<mj-text>\n  Hi ${expr}</mj-text>`)));
      expect(error.problems[0]).toMatchObject({ field: 'body', line: 7 });
      expect(error.fields?.body).toMatch(/triple braces/);
    }
  });

  it('gives nothing through prototypes, constructor or unknown helpers', async () => {
    const compiled = await compileTemplate(
      source(
        mjml(
          `<mj-text>[{{constructor}}][{{__proto__}}][{{lookup this "constructor"}}][{{first_name.constructor.name}}][{{attributes.__proto__.toString}}]</mj-text>${FOOTER}`,
        ),
      ),
      options,
    );
    const { html } = renderMessage(compiled, { messageId: '3', contact }, key);
    expect(html).toContain('[][][][][]');
    for (const bad of [
      '{{foo first_name}}',
      '{{#foo first_name}}x{{/foo}}',
      '{{log first_name}}',
      '{{> header}}',
      '{{upper}}',
    ]) {
      const error = await compileError(source(mjml(`<mj-text>${bad}</mj-text>`)));
      expect(error.problems[0].field).toBe('body');
    }
  });

  it('never exposes configuration or process state to templates', async () => {
    process.env.HERALD_SECRET_PROBE = 'leak-me';
    const compiled = await compileTemplate(
      source(
        mjml(
          `<mj-text>[{{process.env.HERALD_SECRET_PROBE}}][{{@root.options}}][{{options.publicUrl}}]</mj-text>${FOOTER}`,
        ),
      ),
      options,
    );
    const { html } = renderMessage(compiled, { messageId: '3', contact }, key);
    expect(html).toContain('[][][]');
    delete process.env.HERALD_SECRET_PROBE;
  });

  it('checks helper arguments and date formats when saving', async () => {
    const a = await compileError(source(mjml(`<mj-text>{{default first_name}}</mj-text>`)));
    expect(a.problems[0].message).toMatch(/default takes 2 argument/);
    const b = await compileError(source(mjml(`<mj-text>{{date joined "someday"}}</mj-text>`)));
    expect(b.problems[0].message).toMatch(/unknown date format "someday"/);
  });
});

describe('compileTemplate: errors with positions', () => {
  it('reports invalid Handlebars with line and column in each field', async () => {
    const error = await compileError({
      subject: 'Hi {{first_name',
      preheader: 'ok',
      format: 'mjml',
      body: mjml('<mj-text>\n{{#if vip}}unclosed</mj-text>'),
      textBody: 'line one\nline {{#each}}{{/each}}',
    });
    const byField = Object.fromEntries(error.problems.map((p) => [p.field, p]));
    expect(byField.subject).toMatchObject({ line: 1 });
    expect(byField.subject.message).toMatch(/unexpected/);
    expect(byField.body.line).toBeGreaterThan(1);
    expect(byField.textBody).toMatchObject({ line: 2, column: 6 });
    expect(Object.keys(error.fields ?? {}).sort()).toEqual(['body', 'subject', 'textBody']);
    expect(error.kind).toBe('unprocessable');
  });

  it('refuses fields too deeply nested or too long for Handlebars to compile quickly, with the position', async () => {
    const { nesting, expressions } = TEMPLATE_LIMITS;
    const nested = (depth: number) => '{{#if a}}'.repeat(depth) + '[in]' + '{{/if}}'.repeat(depth);
    // At the limit the template compiles and every level still takes part.
    const atLimit = await compileTemplate(source(nested(nesting), { format: 'html' }), options);
    expect(atLimit.html({ a: true })).toContain('[in]');
    expect(atLimit.html({})).not.toContain('[in]');
    // 30,000 levels would take Handlebars minutes to parse: refused first, at the block past the limit.
    const deep = await compileError(source(`<p>\n${nested(30_000)}</p>`, { format: 'html' }));
    expect(deep.problems).toEqual([
      { field: 'body', line: 2, column: nesting * 9 + 1, message: expect.stringMatching(/nested more than 50/) },
    ]);
    // Else branches do not open a block: 50 levels of if/else and unless/else are within the limit.
    const elses =
      '{{#if a}}[x]{{^}}{{#unless b}}[y]{{else}}'.repeat(nesting / 2) + '{{/unless}}{{/if}}'.repeat(nesting / 2);
    const withElses = await compileTemplate(source(elses, { format: 'html' }), options);
    expect(withElses.html({ a: true })).toContain('[x]');
    expect(withElses.html({})).toContain('[y]');
    expect(withElses.html({ b: true })).not.toMatch(/\[x\]|\[y\]/);
    // Many expressions, escaped ones included, are refused too.
    const long = await compileError(source('<p>x</p>', { format: 'html', textBody: '\\{{'.repeat(200_000) }));
    expect(long.problems[0]).toMatchObject({
      field: 'textBody',
      message: `more than ${expressions} {{ }} expressions`,
    });
  });

  it('reports invalid MJML under strict validation with the line, and never the server path', async () => {
    const error = await compileError(
      source(`<mjml>
  <mj-body>
    <mj-section>
      <mj-text>not in a column</mj-text>
      <mj-column bogus="1"><mj-text>x</mj-text></mj-column>
    </mj-section>
  </mj-body>
</mjml>`),
    );
    expect(error.problems.map((p) => p.line)).toEqual([4, 5]);
    expect(error.message).toContain('mj-text');
    expect(error.message).not.toContain(process.cwd());
    const notMjml = await compileError(source('just some text'));
    expect(notMjml.problems[0].field).toBe('body');
  });

  it('ignores mj-include: no file on the server can be read through a template', async () => {
    const compiled = await compileTemplate(
      source(
        mjml(
          `<mj-include path="/etc/passwd" /><mj-include path="../../../../../../etc/passwd" type="html" /><mj-text>ok</mj-text>${FOOTER}`,
          '<mj-include path="/etc/hostname" type="css" />',
        ),
      ),
      options,
    );
    const { html, text } = renderMessage(compiled, { messageId: '1', contact }, key);
    expect(html).not.toMatch(/root:|nologin|mj-include/);
    expect(text).not.toMatch(/root:|nologin/);
  });
});

describe('compileTemplate: text part, preheader, pixel and footer', () => {
  it('generates the text part from the HTML with tracked links shown as URLs', async () => {
    const compiled = await compileTemplate(
      source(
        mjml(
          `<mj-text><h1>Big news, {{first_name}}</h1><p>Read <a href="https://blog.example/post">the post</a>.</p></mj-text>${FOOTER}`,
        ),
      ),
      options,
    );
    const msg = renderMessage(compiled, { messageId: '44', contact }, key);
    expect(msg.text).toContain('Big news, Jane');
    expect(msg.text).toContain(`the post [https://mail.example.org/t/c/${msg.token}.0]`);
    expect(msg.text).toContain(`https://mail.example.org/u/${msg.token}`);
    expect(msg.text).not.toMatch(/<[a-z]/i);
  });

  it('uses a hand-written text part as given, adding the footer only when it has no unsubscribe link', async () => {
    const withLink = await compileTemplate(
      source(mjml(FOOTER), { textBody: 'Hi {{first_name}} & co\nBye: {{unsubscribe_url}}' }),
      options,
    );
    expect(renderMessage(withLink, { messageId: '1', contact }, key).text).toBe(
      `Hi Jane & co\nBye: https://mail.example.org/u/${renderMessage(withLink, { messageId: '1', contact }, key).token}`,
    );
    const without = await compileTemplate(source(mjml(FOOTER), { textBody: 'Hi {{first_name}}' }), options);
    const text = renderMessage(without, { messageId: '1', contact }, key).text;
    expect(text).toMatch(
      /^Hi Jane\n\n--\nAcme Ltd\n1 Main Street, Springfield\nUnsubscribe: https:\/\/mail\.example\.org\/u\//,
    );
  });

  it('inserts the preheader as hidden text right after <body> and the open pixel before </body>', async () => {
    const compiled = await compileTemplate(
      source(mjml(`<mj-text>Body</mj-text>${FOOTER}`), { preheader: 'Deals & more for {{first_name}}' }),
      options,
    );
    const { html, token, text } = renderMessage(
      compiled,
      { messageId: '9', contact: { ...contact, first_name: '<b>' } },
      key,
    );
    expect(html).toMatch(/<body[^>]*>\s*<div style="display:none;[^"]*">Deals &amp; more for &lt;b&gt;/);
    expect(html).toMatch(
      new RegExp(`<img src="https://mail\\.example\\.org/t/o/${token}" width="1" height="1" alt=""[^>]*/>\\s*</body>`),
    );
    expect(text).not.toContain('Deals');
  });

  it('adds a standard footer with unsubscribe link and postal address when the template has none', async () => {
    const compiled = await compileTemplate(source(mjml('<mj-text>No footer here</mj-text>')), options);
    expect(compiled.addedUnsubscribeFooter).toBe(true);
    expect(compiled.warnings).toContainEqual({
      code: 'no_unsubscribe_link',
      message: 'no unsubscribe link: a standard footer was added',
    });
    const msg = renderMessage(compiled, { messageId: '9', contact }, key);
    expect(msg.html).toContain(`href="https://mail.example.org/u/${msg.token}"`);
    expect(msg.html).toContain('1 Main Street, Springfield');
    expect(msg.html.indexOf('Unsubscribe')).toBeGreaterThan(msg.html.indexOf('No footer here'));
    expect(msg.text).toContain(`Unsubscribe [https://mail.example.org/u/${msg.token}]`);

    const withLink = await compileTemplate(source(mjml(FOOTER)), options);
    expect(withLink.addedUnsubscribeFooter).toBe(false);
    expect(withLink.warnings).toEqual([]);
  });

  it('adds no footer and no footer warnings for transactional mail (unsubscribeFooter: false)', async () => {
    const compiled = await compileTemplate(
      { ...source(mjml('<mj-text>Your receipt</mj-text>')), textBody: 'Your receipt' },
      { ...options, unsubscribeFooter: false },
    );
    expect(compiled.addedUnsubscribeFooter).toBe(false);
    expect(compiled.usesUnsubscribeUrl).toBe(false);
    expect(compiled.warnings).toEqual([]);
    const msg = renderMessage(compiled, { messageId: '9', contact }, key);
    expect(msg.html).not.toContain('/u/');
    expect(msg.html).not.toContain('1 Main Street');
    expect(msg.text).toBe('Your receipt');
    const linked = await compileTemplate(source(mjml(FOOTER)), { ...options, unsubscribeFooter: false });
    expect(linked.usesUnsubscribeUrl).toBe(true);
  });

  it('warns about images without alt text', async () => {
    const compiled = await compileTemplate(
      source(
        mjml(
          `<mj-image src="https://img.example/a.png" /><mj-image src="https://img.example/b.png" alt="Logo" />${FOOTER}`,
        ),
      ),
      options,
    );
    expect(compiled.warnings).toContainEqual(
      expect.objectContaining({ code: 'images_without_alt', message: expect.stringMatching(/^1 image/) }),
    );
  });

  it('accepts raw HTML designs, fragments included', async () => {
    const compiled = await compileTemplate(
      { subject: 'S', format: 'html', body: '<p>Hi {{first_name}} <a href="https://x.example/">x</a></p>' },
      options,
    );
    const { html } = renderMessage(compiled, { messageId: '1', contact }, key);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<p>Hi Jane <a href="https://mail.example.org/t/c/');
    expect(compiled.addedUnsubscribeFooter).toBe(true);
  });
});

describe('renderMessage: all three parts from one template call', () => {
  // eslint-disable-next-line no-control-regex -- what a header must not hold
  const CONTROL = /[\u0000-\u001f\u007f]/;
  const headerSafe = (value: string) => value.replace(new RegExp(`${CONTROL.source}+`, 'g'), ' ').trim();
  const partsApart = (compiled: CompiledTemplate, data: RenderData) => ({
    subject: headerSafe(compiled.subject(data)),
    html: compiled.html(data),
    text: compiled.text(data),
  });

  it('escapes a contact value in the HTML only; subject and text get it as written', async () => {
    const compiled = await compileTemplate(
      source(mjml(`<mj-text>Hi {{first_name}} of {{company}}</mj-text>${FOOTER}`), {
        subject: 'For {{first_name}} {{#if company}}at {{company}}{{/if}}',
        preheader: 'Pre {{first_name}}',
        textBody: 'Text {{first_name}} {{#each attributes}}[{{this}}]{{/each}} {{unsubscribe_url}}',
      }),
      options,
    );
    const evil = { email: 'x@example.com', first_name: '<b>&"', attributes: { company: `'<i>'` } };
    const msg = renderMessage(compiled, { messageId: '12', contact: evil }, key);
    expect(msg.subject).toBe(`For <b>&" at '<i>'`);
    expect(msg.text).toBe(`Text <b>&" [${`'<i>'`}] https://mail.example.org/u/${msg.token}`);
    expect(msg.html).toContain('Hi &lt;b&gt;&amp;&quot; of &#x27;&lt;i&gt;&#x27;');
    expect(msg.html).toContain('>Pre &lt;b&gt;&amp;&quot;');
    expect(msg.html).not.toMatch(/<b>|<i>/);
  });

  it('keeps parts apart whatever a contact value holds', async () => {
    const compiled = await compileTemplate(
      source(mjml(`<mj-text>[{{first_name}}]</mj-text>${FOOTER}`), {
        subject: '[{{first_name}}]',
        textBody: '[{{first_name}}] {{unsubscribe_url}}',
      }),
      options,
    );
    const hostile = [
      '\u0000',
      `\u0000${'0'.repeat(32)}\u0000`,
      `\u0000${'f'.repeat(32)}\u0000 after`,
      '{{/__part}}{{#__part "subject"}}x',
      '</html><html><body>',
      '\r\n\r\nSubject: other',
    ];
    for (const value of hostile) {
      const contact = { email: 'x@example.com', first_name: value };
      const msg = renderMessage(compiled, { messageId: '3', contact }, key);
      expect(msg.text).toBe(`[${value}] https://mail.example.org/u/${msg.token}`);
      expect(msg.subject).toBe(headerSafe(`[${value}]`));
      expect(msg.subject).not.toMatch(CONTROL);
      expect(msg.html).toContain(`[${value.replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')}]`);
      expect(msg.html.match(/<\/html>/g)).toHaveLength(1);
      expect(msg.html.trimEnd().endsWith('</html>')).toBe(true);
    }
  });

  it('gives exactly what the three parts render on their own, whitespace control and blocks included', async () => {
    const templates: TemplateSource[] = [
      source(mjml(`<mj-text>Body {{first_name}}</mj-text>${FOOTER}`), {
        subject: '  {{~first_name~}}  !',
        textBody:
          '{{#if first_name}}\nHello {{first_name}}\n{{else if company}}\nHi {{company}}\n{{else}}\nHi\n{{/if}}\n{{unsubscribe_url}}\n{{#each attributes}}\n- {{@key}}: {{this}}\n{{/each}}',
      }),
      source(mjml(`<mj-raw>{{#unless vip}}</mj-raw><mj-text>Not VIP</mj-text><mj-raw>{{/unless}}</mj-raw>${FOOTER}`), {
        subject: '{{#with attributes}}{{upper company}}{{/with}} {{date "now" "year"}} {{lookup this "email"}}',
        preheader: '{{default first_name "friend"}}',
      }),
      {
        subject: '{{#if first_name}}\n{{first_name}}\n{{/if}}',
        format: 'html',
        body: '{{#each attributes}}\n<p>{{@key}}={{this}}</p>\n{{/each}}\n<a href="https://x.example/{{urlencode email}}">x</a>',
        textBody: '\n{{#if vip}}\nVIP\n{{/if}}\n',
      },
    ];
    const contacts: ContactData[] = [
      contact,
      { email: 'b@example.com', first_name: null, attributes: { company: 'Globex & <Co>', vip: true } },
      { email: 'c@example.com', first_name: '  ', last_name: '"Q"' },
    ];
    for (const template of templates) {
      const compiled = await compileTemplate(template, options);
      for (const c of contacts) {
        const system = trackingUrls(options.publicUrl, key.sign('77'));
        system.sender = options.sender;
        const data = templateData(c, system);
        expect(renderParts(compiled, data)).toEqual(partsApart(compiled, data));
      }
    }
  });

  it('reserves the name it captures the parts with', async () => {
    for (const bad of ['{{__part}}', '{{#__part "subject"}}x{{/__part}}', '{{upper (__part)}}']) {
      const error = await compileError(source(mjml(`<mj-text>${bad}</mj-text>${FOOTER}`)));
      expect(error.problems[0]).toMatchObject({ field: 'body', message: expect.stringMatching(/reserved/) });
      const subject = await compileError(source(mjml(FOOTER), { subject: bad }));
      expect(subject.problems[0].field).toBe('subject');
    }
  });
});

describe('MessageRenderer: compile once per campaign, render once per recipient', () => {
  it('renders each recipient from one compiled template, under a token the tracking endpoints verify', async () => {
    const secret = randomBytes(32);
    const renderer = new MessageRenderer(
      { PUBLIC_URL: 'https://mail.example.org' } as HeraldConfig,
      { value: secret } as AppSecret,
    );
    const compiled = await renderer.compile(
      source(mjml(`<mj-text>Hi {{first_name}} <a href="https://shop.example/">Shop</a></mj-text>${FOOTER}`)),
      { sender: { name: 'Acme Ltd', address: '1 Main Street, Springfield' } },
    );
    const recipients = [
      { messageId: '31', contact },
      { messageId: '32', contact: { email: 'bob@example.com', first_name: 'Bob' } },
    ];
    const tracking = new MessageTokens(secret);
    for (const [i, message] of recipients.map((r) => renderer.render(compiled, r)).entries()) {
      const { messageId, contact: c } = recipients[i];
      expect(tracking.verify(message.token)).toBe(messageId);
      expect(message.subject).toBe(`Hello ${c.first_name}`);
      expect(message.html).toContain(`Hi ${c.first_name} `);
      expect(message.html).toContain('1 Main Street, Springfield');
      expect(message.html).toContain(`href="https://mail.example.org/u/${message.token}"`);
      const click = /href="https:\/\/mail\.example\.org\/t\/c\/([^"]+)"/.exec(message.html)![1];
      expect(parseClickToken(click)).toEqual({ token: message.token, index: 0 });
      expect(compiled.links[parseClickToken(click)!.index].url).toBe('https://shop.example/');
    }
    expect(() => renderer.render(compiled, { messageId: '0', contact })).toThrow(/message id/);
  });
});
