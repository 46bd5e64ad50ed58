import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppSecret, Db, MessageTokens } from '../../libs/common/src/index.js';
import { ListsService, SuppressionsService } from '../../libs/contacts/src/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  createAudience,
  createCampaign,
  createSender,
  createTemplate,
  parse,
  until,
  waitForState,
} from '../support/campaigns.js';
import { type SinkMessage, type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

/**
 * Unsubscribing from real campaign mail: the List-Unsubscribe header and the
 * footer link of messages caught by an SMTP sink, posted to as a mailbox
 * provider and a person would, against the real Postgres.
 */
describe('unsubscribe page and one-click', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let senderId: string;
  let templateId: string;
  const lines: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      withWorker: true,
      env: { HERALD_SCHEDULER_TICK_MS: '200', LOG_LEVEL: 'info' },
      logDestination: { write: (line) => lines.push(line) },
    });
    sink = await startSmtpSink();
    senderId = await createSender(t, sink.port, {
      fromName: 'Bäckerei Müller',
      postalAddress: 'Hauptstr. 1\n10115 Berlin',
    });
    templateId = await createTemplate(t);
  });

  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  const mailTo = (email: string) => {
    const found = sink.messages.filter((m) => m.to[0] === email);
    expect(found, `mail to ${email}`).toHaveLength(1);
    return found[0];
  };

  /** The https/http URL of the List-Unsubscribe header, checked against the footer link, as a path on this app. */
  async function unsubscribePath(message: SinkMessage): Promise<string> {
    const parsed = await parse(message);
    const header = (name: string) =>
      parsed.headerLines
        .find((h) => h.key === name)
        ?.line.replace(/\r\n[ \t]+/g, ' ')
        .slice(name.length + 1)
        .trim();
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    const url = /<(https?:\/\/[^>]+)>/.exec(header('list-unsubscribe') ?? '')?.[1];
    expect(url).toBeDefined();
    expect(url!.startsWith(`${t.config.PUBLIC_URL}/u/`)).toBe(true);
    expect(parsed.html).toContain(url);
    return new URL(url!).pathname;
  }

  /** A campaign to `prefix`-addresses, sent through the sink; returns its id and the addresses. */
  async function sentCampaign(prefix: string, count: number) {
    const { listId, emails } = await createAudience(t, prefix, count);
    const id = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });
    expect((await t.request('POST', `/api/v1/campaigns/${id}/send`)).status).toBe(200);
    await waitForState(t, id, 'sent');
    return { id, listId, emails };
  }

  /** POSTs like a mailbox provider: no cookie, no CSRF token, from another site. */
  const oneClick = (path: string, body: RequestInit['body'], headers: Record<string, string> = {}) =>
    fetch(t.url + path, {
      method: 'POST',
      body,
      headers: { origin: 'https://mail.provider.example', 'sec-fetch-site': 'cross-site', ...headers },
      redirect: 'manual',
    });

  const query = async <T>(sql: string, params: unknown[] = []) => (await t.db.query(sql, params)).rows as T[];
  const suppression = (email: string) =>
    query<{ reason: string; source: string }>(
      `SELECT reason, source FROM suppressions WHERE email_hash = encode(sha256(convert_to(lower($1), 'UTF8')), 'hex')`,
      [email],
    );
  const statusOf = async (email: string) =>
    (await query<{ status: string }>('SELECT status FROM contacts WHERE email = $1', [email]))[0].status;
  const counters = async (campaignId: string) => ({
    total: (
      await query<{ n: string }>('SELECT unsubscribes AS n FROM campaign_stats WHERE campaign_id = $1', [campaignId])
    )[0]?.n,
    hourly: (
      await query<{ n: string }>(
        `SELECT sum(unsubscribes)::text AS n FROM campaign_hourly_stats
         WHERE campaign_id = $1 AND hour = date_trunc('hour', now())`,
        [campaignId],
      )
    )[0]?.n,
    domain: (
      await query<{ n: string }>(
        `SELECT unsubscribes AS n FROM campaign_domain_stats WHERE campaign_id = $1 AND domain = 'example.com'`,
        [campaignId],
      )
    )[0]?.n,
  });
  const eventsOf = (campaignId: string) =>
    query<{ type: string; message_id: string; contact_id: string; detail: string; user_agent: string | null }>(
      'SELECT type, message_id, contact_id, detail, user_agent FROM events WHERE campaign_id = $1 ORDER BY id',
      [campaignId],
    );

  it('one-click from the List-Unsubscribe header suppresses at once, records one event and counts once however often repeated', async () => {
    const { id, emails } = await sentCampaign('oneclick', 3);
    const [first, second, third] = emails;
    const path = await unsubscribePath(mailTo(first));

    const res = await oneClick(path, 'List-Unsubscribe=One-Click', {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'Provider-Unsubscriber/1.0',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('You are unsubscribed');

    // In effect before the answer: nothing to wait for.
    expect(await suppression(first)).toEqual([{ reason: 'unsubscribed', source: 'unsubscribe (one-click)' }]);
    expect(await statusOf(first)).toBe('unsubscribed');
    const [message] = await query<{ id: string; contact_id: string }>(
      'SELECT id, contact_id FROM messages WHERE campaign_id = $1 AND email = $2',
      [id, first],
    );
    expect(await eventsOf(id)).toEqual([
      {
        type: 'unsubscribe',
        message_id: message.id,
        contact_id: message.contact_id,
        detail: 'one-click',
        user_agent: 'Provider-Unsubscriber/1.0',
      },
    ]);
    expect(await counters(id)).toEqual({ total: '1', hourly: '1', domain: '1' });

    // A provider retrying, and the person clicking the footer link too: harmless, counted once.
    expect(
      (await oneClick(path, 'List-Unsubscribe=One-Click', { 'content-type': 'application/x-www-form-urlencoded' }))
        .status,
    ).toBe(200);
    const form = new URLSearchParams({ action: 'all' });
    expect((await oneClick(path, form)).status).toBe(200);
    expect(await eventsOf(id)).toHaveLength(1);
    expect(await counters(id)).toEqual({ total: '1', hourly: '1', domain: '1' });

    // multipart/form-data, the other body RFC 8058 allows.
    const multipart = new FormData();
    multipart.set('List-Unsubscribe', 'One-Click');
    const second_ = await oneClick(await unsubscribePath(mailTo(second)), multipart);
    expect(second_.status).toBe(200);
    expect(await suppression(second)).toHaveLength(1);
    expect(await counters(id)).toEqual({ total: '2', hourly: '2', domain: '2' });

    // Visiting the link afterwards says so, and offers nothing more to do.
    const after = await (await fetch(t.url + path)).text();
    expect(after).toContain('You are unsubscribed');
    expect(after).not.toContain('<form');

    // The third recipient did nothing.
    expect(await suppression(third)).toEqual([]);
    expect(await statusOf(third)).toBe('subscribed');
  });

  it('GET and HEAD show the page and change nothing', async () => {
    const { id, emails } = await sentCampaign('looking', 1);
    const path = await unsubscribePath(mailTo(emails[0]));
    for (let i = 0; i < 3; i += 1) {
      const res = await fetch(t.url + path);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('<html lang="en">');
      expect(html).toContain('Unsubscribe from all emails');
      expect(html).toContain(emails[0]);
      expect(html).not.toMatch(/<script/i);
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    expect((await fetch(t.url + path, { method: 'HEAD' })).status).toBe(200);
    expect(await suppression(emails[0])).toEqual([]);
    expect(await statusOf(emails[0])).toBe('subscribed');
    expect(await eventsOf(id)).toEqual([]);
    expect(await counters(id)).toEqual({ total: undefined, hourly: null, domain: undefined });
  });

  it('answers a forged, altered, truncated or unknown token with the same 404 page and records nothing', async () => {
    const { id, emails } = await sentCampaign('forged', 1);
    const path = await unsubscribePath(mailTo(emails[0]));
    const token = path.slice('/u/'.length);
    const flip = (c: string) => (c === 'A' ? 'B' : 'A');
    const tokens = new MessageTokens(t.app.get(AppSecret).value);
    const bad = [
      token.slice(0, -1), // truncated
      token.slice(0, 10) + flip(token[10]) + token.slice(11), // altered
      token + 'A', // extended
      'AAAAAAAAAAAAAAAAAAAAAA', // forged
      tokens.sign('987654321'), // well signed, no such message
      'not-a-token',
    ];
    const recorded = () =>
      query<{ suppressions: number; events: number }>(
        'SELECT (SELECT count(*) FROM suppressions)::int AS suppressions, (SELECT count(*) FROM events)::int AS events',
      );
    const before = await recorded();
    const answers = new Set<string>();
    for (const candidate of bad) {
      const get = await fetch(`${t.url}/u/${candidate}`);
      expect(get.status, candidate).toBe(404);
      answers.add(await get.text());
      const post = await oneClick(`/u/${candidate}`, 'List-Unsubscribe=One-Click', {
        'content-type': 'application/x-www-form-urlencoded',
      });
      expect(post.status, candidate).toBe(404);
      answers.add(await post.text());
    }
    expect(answers.size).toBe(1);
    expect([...answers][0]).toContain('This link is not valid');
    expect(await recorded()).toEqual(before);
    expect(await eventsOf(id)).toEqual([]);
    expect(await suppression(emails[0])).toEqual([]);
  });

  it('leaving one list keeps the others and the subscription, and is not counted as an unsubscribe', async () => {
    const { id, listId, emails } = await sentCampaign('prefs', 1);
    const email = emails[0];
    const other = (name: string) =>
      t.request('POST', '/api/v1/lists', { body: { name } }).then((r) => r.body.id as string);
    const keepId = await other('Weekly <b>deals</b> & "news"');
    const alsoId = await other('Events');
    const [{ id: contactId }] = await query<{ id: string }>('SELECT id FROM contacts WHERE email = $1', [email]);
    for (const list of [keepId, alsoId])
      await t.request('POST', `/api/v1/lists/${list}/contacts`, { body: { contactIds: [contactId] } });
    const path = await unsubscribePath(mailTo(email));

    const page = await (await fetch(t.url + path)).text();
    expect(page).toContain('Weekly &lt;b&gt;deals&lt;/b&gt; &amp; &quot;news&quot;');
    expect(page).not.toContain('<b>deals</b>');
    expect(page).toMatch(/<fieldset[^>]*>\s*<legend>Or leave only some lists<\/legend>/);
    expect(page).toContain(`<label><input type="checkbox" name="lists" value="${listId}"> prefs list</label>`);

    // A form posted with no list ticked: the page again, saying why.
    const none = await oneClick(path, new URLSearchParams({ action: 'lists' }));
    expect(none.status).toBe(400);
    expect(await none.text()).toContain('role="alert"');

    const res = await oneClick(
      path,
      new URLSearchParams([
        ['action', 'lists'],
        ['lists', listId],
      ]),
    );
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/You have left:<\/p>\s*<ul><li>prefs list<\/li><\/ul>/);
    expect(html).toContain('<li>Events</li>');

    const memberships = await query<{ list_id: string }>(
      'SELECT list_id FROM list_members WHERE contact_id = $1 ORDER BY list_id',
      [contactId],
    );
    expect(memberships.map((m) => m.list_id)).toEqual([keepId, alsoId].sort((a, b) => Number(a) - Number(b)));
    expect(await statusOf(email)).toBe('subscribed');
    expect(await suppression(email)).toEqual([]);
    expect((await eventsOf(id)).map((e) => e.detail)).toEqual([`lists ${listId}`]);
    expect((await counters(id)).total).toBeUndefined();

    // Posting it again leaves nothing more and records nothing more.
    expect(
      (
        await oneClick(
          path,
          new URLSearchParams([
            ['action', 'lists'],
            ['lists', listId],
          ]),
        )
      ).status,
    ).toBe(200);
    expect(await eventsOf(id)).toHaveLength(1);

    // Malformed input names its field.
    const malformed = await oneClick(
      path,
      new URLSearchParams([
        ['action', 'lists'],
        ['lists', 'abc'],
      ]),
    );
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { fields: object }).fields).toHaveProperty('lists');
    const noAction = await oneClick(path, new URLSearchParams({ hello: 'x' }));
    expect(noAction.status).toBe(400);
    const empty = await oneClick(path, new URLSearchParams());
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { fields: object }).fields).toEqual({ action: expect.any(String) });
  });

  it('speaks German for Accept-Language de-DE, with the sender and postal address in the footer', async () => {
    const { emails } = await sentCampaign('deutsch', 1);
    const path = await unsubscribePath(mailTo(emails[0]));
    const res = await fetch(t.url + path, { headers: { 'accept-language': 'de-DE,de;q=0.9,en;q=0.5' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-language')).toBe('de');
    const html = await res.text();
    expect(html).toContain('<html lang="de">');
    expect(html).toContain('<title>Abmelden</title>');
    expect(html).toContain('Von allen E-Mails abmelden');
    expect(html).toContain('Oder nur einzelne Listen verlassen');
    expect(html).toMatch(/<footer><p>Bäckerei Müller<br>Hauptstr\. 1<br>10115 Berlin<\/p><\/footer>/);

    const done = await oneClick(path, new URLSearchParams({ action: 'all' }), { 'accept-language': 'de-DE' });
    expect(await done.text()).toContain('Sie sind abgemeldet');
    const notFound = await fetch(`${t.url}/u/AAAAAAAAAAAAAAAAAAAAAA`, { headers: { 'accept-language': 'de-DE' } });
    expect(await notFound.text()).toContain('Dieser Link ist ungültig');
  });

  it('logs its requests by route pattern only: never the token, the address or the user agent', async () => {
    const { emails } = await sentCampaign('logged', 1);
    const path = await unsubscribePath(mailTo(emails[0]));
    const token = path.slice('/u/'.length);
    lines.length = 0;
    await fetch(t.url + path, { headers: { 'user-agent': 'PrivateAgent/7' } });
    await oneClick(path, 'List-Unsubscribe=One-Click', {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'PrivateAgent/7',
    });
    await fetch(`${t.url}/u/${token.slice(0, -1)}`);
    // By request id: routes outside /api/v1 (this one, /metrics) currently get their access line twice.
    const access = () =>
      new Map(
        lines
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .filter((l) => l.route === '/u/:token' && 'status' in l)
          .map((l) => [l.reqId, `${String(l.method)} ${String(l.status)}`]),
      );
    await expect.poll(() => access().size).toBe(3);
    expect([...access().values()]).toEqual(['GET 200', 'POST 200', 'GET 404']);
    const text = lines.join('');
    for (const secret of [token.slice(0, -1), emails[0], 'PrivateAgent']) expect(text, secret).not.toContain(secret);
  });

  it('says a test send is a test and changes nothing', async () => {
    const { listId } = await createAudience(t, 'tested', 1);
    const id = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });
    const sent = await t.request('POST', `/api/v1/campaigns/${id}/test`, {
      body: { emails: ['qa-unsub@example.com'] },
    });
    expect(sent.status, sent.text).toBe(200);
    const path = await unsubscribePath(mailTo('qa-unsub@example.com'));
    expect(await (await fetch(t.url + path)).text()).toContain('This was a test email');
    const res = await oneClick(path, 'List-Unsubscribe=One-Click', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('This was a test email');
    expect(await suppression('qa-unsub@example.com')).toEqual([]);
    expect(await eventsOf(id)).toEqual([]);
    expect((await counters(id)).total).toBeUndefined();
  });

  it('a campaign still sending on a slow sender skips an address unsubscribed meanwhile', async () => {
    const { listId, emails } = await createAudience(t, 'midway', 10);
    // An earlier campaign gave every recipient an unsubscribe link.
    const earlier = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });
    expect((await t.request('POST', `/api/v1/campaigns/${earlier}/send`)).status).toBe(200);
    await waitForState(t, earlier, 'sent');
    const leaver = emails[emails.length - 1];
    const path = await unsubscribePath(mailTo(leaver));

    const slow = await createSender(t, sink.port, { ratePerSecond: 2, poolSize: 1 });
    const id = await createCampaign(t, { templateId, senderIds: [slow], audience: { listIds: [listId] } });
    expect((await t.request('POST', `/api/v1/campaigns/${id}/send`)).status).toBe(200);
    const messageOf = async () =>
      (
        await query<{ status: string }>('SELECT status FROM messages WHERE campaign_id = $1 AND email = $2', [
          id,
          leaver,
        ])
      )[0]?.status;
    await until(
      async () =>
        (
          await query<{ n: number }>(
            `SELECT count(*)::int AS n FROM messages WHERE campaign_id = $1 AND status = 'sent'`,
            [id],
          )
        )[0].n,
      (n) => n >= 1,
    );
    // Its message is still waiting its turn when the recipient unsubscribes.
    expect(await messageOf()).toBe('queued');
    const res = await oneClick(path, 'List-Unsubscribe=One-Click', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(res.status).toBe(200);

    const done = await waitForState(t, id, 'sent', 30_000);
    expect(done).toMatchObject({ audience: 10, sent: 9, skipped: 1 });
    expect(await messageOf()).toBe('skipped');
    expect(sink.messages.filter((m) => m.to[0] === leaver)).toHaveLength(1); // the earlier campaign's only
    for (const email of emails.slice(0, -1))
      expect(
        sink.messages.filter((m) => m.to[0] === email),
        email,
      ).toHaveLength(2);
    // Counted on the campaign whose link was used.
    expect((await counters(earlier)).total).toBe('1');
  });
});

describe('contacts: suppressing inside a transaction, a contact’s lists, leaving lists', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  it('suppress is true once for an address, stops its contact, and keeps a status that says more', async () => {
    const suppressions = t.app.get(SuppressionsService);
    const db = t.app.get(Db);
    await t.db.query(
      `INSERT INTO contacts (email, status) VALUES ('keen@example.com', 'subscribed'), ('gone@example.com', 'bounced')`,
    );
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        db.transaction((tx) => suppressions.suppress(tx, 'Keen@example.com', 'unsubscribed', 'test')),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await db.transaction((tx) => suppressions.suppress(tx, 'gone@example.com', 'unsubscribed', 'test'))).toBe(
      true,
    );
    const { rows } = await t.db.query('SELECT email, status FROM contacts ORDER BY email');
    expect(rows).toEqual([
      { email: 'gone@example.com', status: 'bounced' },
      { email: 'keen@example.com', status: 'unsubscribed' },
    ]);
    // Rolled back with the caller's transaction.
    await expect(
      db.transaction(async (tx) => {
        await suppressions.suppress(tx, 'undo@example.com', 'unsubscribed', 'test');
        throw new Error('caller failed');
      }),
    ).rejects.toThrow('caller failed');
    expect((await t.db.query(`SELECT 1 FROM suppressions WHERE email = 'undo@example.com'`)).rows).toEqual([]);
  });

  it('lists a contact’s lists by name and leaves only those asked, ignoring lists it is not in', async () => {
    const lists = t.app.get(ListsService);
    const db = t.app.get(Db);
    const make = async (name: string) =>
      (await t.request('POST', '/api/v1/lists', { body: { name } })).body.id as string;
    const [b, a, c, other] = [await make('B list'), await make('A list'), await make('C list'), await make('Other')];
    const {
      rows: [{ id: contactId }],
    } = await t.db.query(`INSERT INTO contacts (email) VALUES ('member@example.com') RETURNING id`);
    await t.db.query('INSERT INTO list_members (list_id, contact_id) SELECT unnest($1::bigint[]), $2', [
      [a, b, c],
      contactId,
    ]);
    expect(await lists.listsOf(db, contactId)).toEqual([
      { id: a, name: 'A list' },
      { id: b, name: 'B list' },
      { id: c, name: 'C list' },
    ]);
    expect((await db.transaction((tx) => lists.leave(tx, contactId, [b, other, '987654321']))).sort()).toEqual([b]);
    expect(await db.transaction((tx) => lists.leave(tx, contactId, [b]))).toEqual([]);
    expect(await db.transaction((tx) => lists.leave(tx, contactId, []))).toEqual([]);
    expect((await lists.listsOf(db, contactId)).map((l) => l.name)).toEqual(['A list', 'C list']);
    expect(await lists.listsOf(db, '987654321')).toEqual([]);
  });
});
