import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

const BODY = `<mjml><mj-body><mj-section><mj-column><mj-text>Hello {{first_name}}</mj-text></mj-column></mj-section></mj-body></mjml>`;

/** The API of campaigns without a worker: nothing is sent, states and validation only. */
describe('campaigns API', () => {
  let t: TestApp;
  let templateId: string;
  let listId: string;
  let segmentId: string;

  beforeAll(async () => {
    t = await startTestApp();
    templateId = (await t.request('POST', '/api/v1/templates', { body: { name: 'T', subject: 'Hi', body: BODY } })).body
      .id;
    listId = (await t.request('POST', '/api/v1/lists', { body: { name: 'L' } })).body.id;
    segmentId = (
      await t.request('POST', '/api/v1/segments', {
        body: { name: 'S', rules: { all: [{ field: 'email', op: 'endsWith', value: '@example.com' }] } },
      })
    ).body.id;
  });

  afterAll(async () => {
    await t?.close();
  });

  const create = async (body: Record<string, unknown> = {}) => {
    const res = await t.request('POST', '/api/v1/campaigns', {
      body: { name: 'December', templateId, audience: { listIds: [listId] }, ...body },
    });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; state: string; senderIds: string[]; actions: string[] };
  };

  it('creates a draft with the sandbox sender by default, reads, lists and edits it', async () => {
    const c = await create({ subject: 'Override', audience: { listIds: [listId], segmentId } });
    expect(c.state).toBe('draft');
    expect(c.senderIds).toHaveLength(1);
    const sender = await t.request('GET', `/api/v1/senders/${c.senderIds[0]}`);
    expect(sender.body.kind).toBe('sandbox');
    expect(c.actions).toContain('send');

    const got = await t.request('GET', `/api/v1/campaigns/${c.id}`);
    expect(got.body).toMatchObject({
      subject: 'Override',
      audience: { listIds: [listId], segmentId, excludeSegmentId: null },
      trackOpens: true,
    });

    const patched = await t.request('PATCH', `/api/v1/campaigns/${c.id}`, {
      body: { name: 'Renamed', subject: null, trackClicks: false, audience: { excludeSegmentId: segmentId } },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({
      name: 'Renamed',
      subject: null,
      trackClicks: false,
      audience: { listIds: [listId], segmentId, excludeSegmentId: segmentId },
    });

    const page = await t.request('GET', '/api/v1/campaigns?state=draft&limit=1');
    expect(page.body.items).toHaveLength(1);
    expect((await t.request('GET', '/api/v1/campaigns?state=sent')).body.items).toHaveLength(0);
    expect((await t.request('GET', '/api/v1/campaigns?state=bogus')).status).toBe(400);
  });

  it('refuses bad input with 400 naming the field, unknown ids included', async () => {
    const bad = async (body: Record<string, unknown>, field: string) => {
      const res = await t.request('POST', '/api/v1/campaigns', { body: { name: 'x', ...body } });
      expect(res.status, res.text).toBe(400);
      expect(Object.keys(res.body.fields ?? {}), res.text).toContain(field);
    };
    await bad({ name: '' }, 'name');
    const missing = await t.request('POST', '/api/v1/campaigns', { body: { templateId } });
    expect(missing.status, missing.text).toBe(400);
    expect(missing.body.fields).toHaveProperty('name');
    await bad({ templateId: 'abc' }, 'templateId');
    await bad({ templateId: '999999' }, 'templateId');
    await bad({ senderIds: [] }, 'senderIds');
    await bad({ senderIds: ['999999'] }, 'senderIds');
    await bad({ audience: { listIds: ['999999'] } }, 'audience.listIds');
    await bad({ audience: { segmentId: '999999' } }, 'audience.segmentId');
    await bad({ audience: { excludeSegmentId: '999999' } }, 'audience.excludeSegmentId');
    await bad({ trackOpens: 'yes' }, 'trackOpens');
    await bad({ unknown: 1 }, 'unknown');
    expect((await t.request('GET', '/api/v1/campaigns/abc')).status).toBe(400);
    expect((await t.request('GET', '/api/v1/campaigns/999999')).status).toBe(404);
  });

  it('needs a template and an audience before it can send', async () => {
    const noTemplate = await create({ templateId: null });
    const res = await t.request('POST', `/api/v1/campaigns/${noTemplate.id}/send`);
    expect(res.status).toBe(400);
    expect(res.body.fields).toHaveProperty('templateId');
    const noAudience = await create({ audience: {} });
    const res2 = await t.request('POST', `/api/v1/campaigns/${noAudience.id}/send`);
    expect(res2.status).toBe(400);
    expect(res2.body.fields).toHaveProperty('audience');
  });

  it('schedules at a local time in an IANA zone; DST gaps, bad zones and past times are 400', async () => {
    const c = await create();
    const schedule = (at: string, timeZone: string) =>
      t.request('POST', `/api/v1/campaigns/${c.id}/schedule`, { body: { at, timeZone } });
    expect((await schedule('2031-03-30T02:30', 'Europe/Berlin')).body.fields).toHaveProperty('at');
    expect((await schedule('2031-12-01T09:00', 'Mars/Base')).body.fields).toHaveProperty('timeZone');
    expect((await schedule('2020-12-01T09:00', 'UTC')).body.fields).toHaveProperty('at');
    const ok = await schedule('2031-12-01T09:00', 'America/New_York');
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toMatchObject({
      state: 'scheduled',
      sendAt: '2031-12-01T14:00:00.000Z',
      sendAtLocal: '2031-12-01T09:00',
      timeZone: 'America/New_York',
    });
    // Still editable and re-schedulable until it starts.
    expect((await t.request('PATCH', `/api/v1/campaigns/${c.id}`, { body: { name: 'Moved' } })).status).toBe(200);
    expect((await schedule('2031-12-02T09:00', 'Europe/Berlin')).body.sendAt).toBe('2031-12-02T08:00:00.000Z');
  });

  it('answers illegal transitions with 409 naming the current state and the allowed actions', async () => {
    const c = await create();
    const act = (action: string) => t.request('POST', `/api/v1/campaigns/${c.id}/${action}`);
    for (const action of ['pause', 'resume', 'cancel', 'confirm']) {
      const res = await act(action);
      expect(res.status, action).toBe(409);
      expect(res.body.message).toContain('draft');
      expect(res.body.message).toContain('send');
    }
    expect((await act('send')).body.state).toBe('sending');
    // Editing and deleting are refused once sending started.
    const edit = await t.request('PATCH', `/api/v1/campaigns/${c.id}`, { body: { name: 'Too late' } });
    expect(edit.status).toBe(409);
    expect(edit.body.message).toContain('sending');
    expect((await t.request('DELETE', `/api/v1/campaigns/${c.id}`)).status).toBe(409);
    expect((await act('send')).status).toBe(409);
    expect((await act('resume')).status).toBe(409);
    expect((await act('pause')).body.state).toBe('paused');
    expect((await act('pause')).status).toBe(409);
    expect((await act('resume')).body.state).toBe('sending');
    expect((await act('cancel')).body.state).toBe('cancelled');
    expect((await act('resume')).status).toBe(409);
    expect((await t.request('DELETE', `/api/v1/campaigns/${c.id}`)).status).toBe(204);
    expect((await t.request('GET', `/api/v1/campaigns/${c.id}`)).status).toBe(404);
  });

  it('duplicates a campaign as a new draft with the same settings', async () => {
    const c = await create({ subject: 'Copy me' });
    await t.request('POST', `/api/v1/campaigns/${c.id}/send`);
    const copy = await t.request('POST', `/api/v1/campaigns/${c.id}/duplicate`);
    expect(copy.status).toBe(201);
    expect(copy.body).toMatchObject({
      name: 'December (copy)',
      state: 'draft',
      subject: 'Copy me',
      templateId,
      senderIds: c.senderIds,
    });
    expect(copy.body.id).not.toBe(c.id);
  });

  it('preflight counts the mailable audience and weighs it against the senders’ capacity today', async () => {
    const lists = [0, 1].map(
      async (i) => (await t.request('POST', '/api/v1/lists', { body: { name: `P${i}` } })).body.id,
    );
    const [a, b] = await Promise.all(lists);
    const add = async (email: string, listIds: string[], status = 'subscribed') => {
      const res = await t.request('POST', '/api/v1/contacts', { body: { email, status, listIds } });
      expect(res.status, res.text).toBe(201);
    };
    await add('both@pre.example', [a, b]);
    await add('one@pre.example', [a]);
    await add('two@pre.example', [b]);
    await add('left@pre.example', [a], 'unsubscribed');
    await add('blocked@pre.example', [b]);
    await add('vip@pre.example', [a]);
    expect((await t.request('POST', '/api/v1/suppressions', { body: { email: 'blocked@pre.example' } })).status).toBe(
      201,
    );
    const vip = await t.request('POST', '/api/v1/segments', {
      body: { name: 'VIP', rules: { all: [{ field: 'email', op: 'startsWith', value: 'vip@' }] } },
    });
    const limited = await t.request('POST', '/api/v1/senders', {
      body: {
        name: 'Limited',
        host: '127.0.0.1',
        port: 2525,
        security: 'none',
        fromEmail: 'news@pre.example',
        postalAddress: '1 Street',
        ratePerSecond: 2,
        dailyLimit: 3,
      },
    });
    expect(limited.status, limited.text).toBe(201);

    // both, one, two and vip; the unsubscribed and the suppressed are left out, both once.
    const c = await create({ audience: { listIds: [a, b] }, senderIds: [limited.body.id] });
    const over = await t.request('GET', `/api/v1/campaigns/${c.id}/preflight`);
    expect(over.status, over.text).toBe(200);
    expect(over.body).toMatchObject({
      audience: 4,
      audienceError: null,
      remainingToday: 3,
      ratePerSecond: 2,
      coversAudience: false,
      expectedFinishAt: null,
      senders: [{ id: limited.body.id, dailyLimit: 3, remainingToday: 3, hasDkim: false, disabledReason: null }],
    });

    await t.request('PATCH', `/api/v1/campaigns/${c.id}`, { body: { audience: { excludeSegmentId: vip.body.id } } });
    const before = Date.now();
    const fits = (await t.request('GET', `/api/v1/campaigns/${c.id}/preflight`)).body;
    expect(fits).toMatchObject({ audience: 3, coversAudience: true });
    // Three messages at two per second: about 1.5 s from now.
    const finish = Date.parse(fits.expectedFinishAt) - before;
    expect(finish).toBeGreaterThanOrEqual(1500);
    expect(finish).toBeLessThan(1500 + 60_000);

    const empty = await create({ audience: { listIds: [] } });
    const none = (await t.request('GET', `/api/v1/campaigns/${empty.id}/preflight`)).body;
    expect(none).toMatchObject({ audience: null, coversAudience: false, expectedFinishAt: null });
    expect(none.audienceError).toMatch(/lists or a segment/);
    // The default sandbox sender has no daily limit.
    expect(none.remainingToday).toBeNull();
    expect((await t.request('GET', '/api/v1/campaigns/999999/preflight')).status).toBe(404);
  });
});
