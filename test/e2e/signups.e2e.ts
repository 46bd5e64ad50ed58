import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, startTestApp, type TestApp } from '../support/app.js';
import { createSender, parse, until } from '../support/campaigns.js';
import { type SinkMessage, type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

/**
 * Sign-up forms through the api with its processors: form settings, public
 * form posts and JSON, confirmation mails into an SMTP sink, and the
 * confirmation link taken from the mail and followed.
 */
describe('sign-up forms', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let senderId: string;
  let dkimRecord: { name: string; value: string };
  let ipCounter = 0;

  beforeAll(async () => {
    t = await startTestApp({ withWorker: true, env: { HERALD_SCHEDULER_TICK_MS: '200' } });
    sink = await startSmtpSink();
    senderId = await createSender(t, sink.port, {
      fromName: 'Acme News',
      postalAddress: '1 Test Street\nTestville',
      dkimDomain: 'herald-test.example.com',
      dkimSelector: 'signup',
      dkimGenerate: true,
    });
    dkimRecord = (await t.request('GET', `/api/v1/senders/${senderId}`)).body.dkimRecord;
  });

  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  /** Each test signs up from addresses of its own, so the per-IP limit of one never touches another. */
  const freshIp = () => `203.0.113.${++ipCounter}`;

  async function list(name: string, form: Record<string, unknown> = {}): Promise<string> {
    const listId = (await t.request('POST', '/api/v1/lists', { body: { name } })).body.id as string;
    const res = await t.request('PUT', `/api/v1/lists/${listId}/form`, {
      body: { enabled: true, senderId, ...form },
    });
    expect(res.status, res.text).toBe(200);
    return listId;
  }

  const postJson = (listId: string, body: unknown, ip: string, headers: Record<string, string> = {}) =>
    t.request('POST', `/subscribe/${listId}`, {
      auth: false,
      body,
      headers: { 'x-forwarded-for': ip, origin: 'https://www.shop.example', ...headers },
    });

  const postForm = (listId: string, fields: Record<string, string>, ip: string, headers: Record<string, string> = {}) =>
    t.request('POST', `/subscribe/${listId}`, {
      auth: false,
      raw: new URLSearchParams(fields).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-forwarded-for': ip,
        origin: 'https://www.shop.example',
        ...headers,
      },
    });

  const mailTo = (address: string) =>
    until(
      async () => sink.messages.filter((m) => m.to.includes(address)),
      (found) => found.length > 0,
    ).then((found) => found[0]);

  /** The confirmation link's path, as the mail's text part has it. */
  async function confirmPath(message: SinkMessage): Promise<string> {
    const parsed = await parse(message);
    const url = /https?:\/\/\S+\/subscribe\/confirm\/[^\s"<]+/.exec(parsed.text ?? '')?.[0];
    expect(url, parsed.text).toBeDefined();
    return new URL(url!).pathname;
  }

  const signupRow = async (email: string) =>
    (await t.db.query(`SELECT * FROM signups WHERE email = $1 ORDER BY id DESC LIMIT 1`, [email])).rows[0];

  const contactIn = async (email: string, listId: string) =>
    (
      await t.db.query(
        `SELECT c.status, c.first_name, c.consent_source, c.consent_at,
                EXISTS (SELECT 1 FROM list_members m WHERE m.contact_id = c.id AND m.list_id = $2) AS member
         FROM contacts c WHERE lower(c.email) = lower($1)`,
        [email, listId],
      )
    ).rows[0] as
      | { status: string; first_name: string | null; consent_source: string; consent_at: Date; member: boolean }
      | undefined;

  const suppressed = async (email: string) =>
    (await t.db.query(`SELECT reason FROM suppressions WHERE lower(email) = lower($1)`, [email])).rows[0]?.reason as
      string | undefined;

  /** A browser on the confirmation page: GET it, or POST its button (a same-origin form post without cookies). */
  const publicPage = (method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}) =>
    t.request(method, path, {
      auth: false,
      raw: method === 'POST' ? 'confirm=yes' : undefined,
      headers: {
        'x-forwarded-for': '198.51.100.7',
        ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
    });

  it('double opt-in: form post, confirmation mail (DKIM-signed, no list headers), a button page, then the contact in the list with its consent', async () => {
    const listId = await list('Weekly news', {
      consentText: 'I agree to receive the weekly news.',
      consentVersion: '2026-01',
    });
    const ip = freshIp();
    const res = await postForm(
      listId,
      { email: 'Jane.Doe@Example.com', firstName: 'Jane', consent: 'yes', company_website: '' },
      ip,
      { 'accept-language': 'de-DE,de;q=0.9,en;q=0.5' },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.text).toContain('Bitte sehen Sie in Ihr Postfach');

    const mail = await mailTo('Jane.Doe@example.com');
    expect(mail.from).toBe('news@herald-test.example.com');
    const parsed = await parse(mail);
    expect(parsed.subject).toBe('Bitte bestätigen Sie Ihr Abonnement von Weekly news');
    expect(parsed.headers.has('list-unsubscribe')).toBe(false);
    expect(parsed.messageId).toMatch(/^<s\d+\.[A-Za-z0-9_-]{22}@herald-test\.example\.com>$/);
    expect(parsed.text).toContain('1 Test Street');
    const dkim = await dkimVerify(mail.raw, {
      resolver: async (name: string, type: string) => {
        if (type === 'TXT' && name === dkimRecord.name) return [[dkimRecord.value]];
        throw Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' });
      },
    });
    expect(dkim.results[0]?.status?.result).toBe('pass');

    const path = await confirmPath(mail);
    // A GET (what a link scanner does) shows the button and changes nothing.
    const page = await publicPage('GET', path, { 'accept-language': 'de' });
    expect(page.status).toBe(200);
    expect(page.text).toContain('<form method="post">');
    expect(page.text).toContain('Ja, ich möchte mich anmelden');
    expect(page.text).toContain('Acme News');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(await contactIn('Jane.Doe@example.com', listId)).toBeUndefined();
    expect((await signupRow('Jane.Doe@example.com')).state).toBe('pending');

    const confirmed = await publicPage('POST', path, { 'accept-language': 'en' });
    expect(confirmed.status, confirmed.text).toBe(200);
    expect(confirmed.text).toContain('You are subscribed');
    const contact = await contactIn('Jane.Doe@example.com', listId);
    expect(contact).toMatchObject({ status: 'subscribed', first_name: 'Jane', member: true });
    expect(contact!.consent_source).toMatch(/sign-up form of list \d+ .*consent v2026-01.*confirmed/);
    expect(contact!.consent_at).toBeInstanceOf(Date);

    const row = await signupRow('Jane.Doe@example.com');
    expect(row).toMatchObject({
      state: 'confirmed',
      mail_status: 'sent',
      consent_ip: '203.0.113.' + ipCounter,
      consent_text: 'I agree to receive the weekly news.',
      consent_version: '2026-01',
      confirmed_ip: '198.51.100.7',
      language: 'de',
    });
    expect(row.consent_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.confirmed_at).toBeInstanceOf(Date);

    // Confirming again is harmless and says so.
    const again = await publicPage('POST', path);
    expect(again.status).toBe(200);
    expect(again.text).toContain('already confirmed');
    expect(sink.messages.filter((m) => m.to.includes('Jane.Doe@example.com'))).toHaveLength(1);
  });

  it('answers a known, a new, a suppressed and a complained address alike, in JSON and as a form post', async () => {
    const listId = await list('Alike');
    await t.request('POST', '/api/v1/contacts', { body: { email: 'known@example.com', listIds: [listId] } });
    await t.request('POST', '/api/v1/suppressions', { body: { email: 'gone@example.com', reason: 'unsubscribed' } });
    await t.request('POST', '/api/v1/suppressions', { body: { email: 'angry@example.com', reason: 'complained' } });
    const ip = freshIp();
    const answers: ApiResponse[] = [];
    for (const email of ['known@example.com', 'brand-new@example.com', 'gone@example.com', 'angry@example.com'])
      answers.push(await postJson(listId, { email }, ip));
    for (const res of answers) {
      expect(res.status).toBe(202);
      expect(res.text).toBe(answers[0].text);
    }
    expect(answers[0].body).toMatchObject({ status: 'accepted', doubleOptIn: true });

    const forms: ApiResponse[] = [];
    for (const email of ['known@example.com', 'brand-new2@example.com'])
      forms.push(await postForm(listId, { email }, freshIp()));
    expect(forms.map((f) => f.status)).toEqual([200, 200]);
    expect(forms[1].text).toBe(forms[0].text);

    // Behind the identical answers: mails go to the known, new and unsubscribed addresses, none to the complaint.
    await mailTo('gone@example.com');
    await mailTo('brand-new@example.com');
    await until(
      () => signupRow('angry@example.com'),
      (row) => row.state === 'refused',
    );
    expect(sink.messages.some((m) => m.to.includes('angry@example.com'))).toBe(false);
  });

  it('single opt-in subscribes at once, but a suppressed address gets the confirmation mail and stays suppressed until it confirms', async () => {
    const listId = await list('Instant', { doubleOptIn: false, successUrl: 'https://www.shop.example/thanks' });
    const ip = freshIp();
    const res = await postForm(listId, { email: 'instant@example.com', first_name: 'Ina' }, ip);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('https://www.shop.example/thanks');
    const contact = await until(
      () => contactIn('instant@example.com', listId),
      (c) => c?.member === true,
    );
    expect(contact).toMatchObject({ status: 'subscribed', first_name: 'Ina' });
    expect((await signupRow('instant@example.com')).state).toBe('subscribed');

    // An address that unsubscribed earlier: the same answer, a confirmation mail, and nothing changed yet.
    await t.request('POST', '/api/v1/contacts', { body: { email: 'left@example.com', status: 'unsubscribed' } });
    expect(await suppressed('left@example.com')).toBe('unsubscribed');
    const again = await postForm(listId, { email: 'left@example.com' }, ip);
    expect(again.status).toBe(303);
    const mail = await mailTo('left@example.com');
    expect(await contactIn('left@example.com', listId)).toMatchObject({ status: 'unsubscribed', member: false });
    expect(await suppressed('left@example.com')).toBe('unsubscribed');

    const confirmed = await publicPage('POST', await confirmPath(mail));
    expect(confirmed.status).toBe(200);
    expect(await contactIn('left@example.com', listId)).toMatchObject({ status: 'subscribed', member: true });
    expect(await suppressed('left@example.com')).toBeUndefined();
    expect((await signupRow('left@example.com')).note).toBe('lifted the unsubscribed suppression');
  });

  it('takes a filled honeypot like any submission and stores and sends nothing', async () => {
    const listId = await list('Honey');
    const ip = freshIp();
    const bot = await postJson(listId, { email: 'bot-target@example.com', company_website: 'http://spam.example' }, ip);
    const person = await postJson(listId, { email: 'person@example.com' }, ip);
    expect(bot.status).toBe(202);
    expect(bot.text).toBe(person.text);
    const botForm = await postForm(listId, { email: 'bot-target@example.com', company_website: 'x' }, ip);
    expect(botForm.status).toBe(200);
    await mailTo('person@example.com');
    expect(await signupRow('bot-target@example.com')).toBeUndefined();
    expect(sink.messages.some((m) => m.to.includes('bot-target@example.com'))).toBe(false);
  });

  it('limits submissions per client IP with a 429 and Retry-After, without touching other clients', async () => {
    const listId = await list('Limited');
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await postJson(listId, { email: `limit${i}@example.com` }, ip)).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202]);
    const refused = await postJson(listId, { email: 'limit5@example.com' }, ip);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const refusedForm = await postForm(listId, { email: 'limit6@example.com' }, ip);
    expect(refusedForm.status).toBe(429);
    expect(refusedForm.text).toContain('Too many sign-ups');
    // Another client is unaffected, and nothing of the refused submissions was stored.
    expect((await postJson(listId, { email: 'other@example.com' }, freshIp())).status).toBe(202);
    expect(await signupRow('limit5@example.com')).toBeUndefined();
  });

  it('refuses bad input with a 400 naming the field, in JSON and as a page for form posts', async () => {
    const listId = await list('Strict', { consentText: 'Yes, mail me.' });
    await t.request('POST', '/api/v1/fields', { body: { name: 'plan', type: 'number' } });
    const cases: [unknown, string][] = [
      [{ consent: true }, 'email'],
      [{ email: 'not an address', consent: true }, 'email'],
      [{ email: 'a@example.com' }, 'consent'],
      [{ email: 'a@example.com', consent: true, admin: true }, 'admin'],
      [{ email: 'a@example.com', consent: true, attributes: { plan: 'gold' } }, 'attributes.plan'],
      [{ email: 'a@example.com', consent: true, attributes: { unknown: 1 } }, 'attributes.unknown'],
      [{ email: 'a@example.com', consent: true, firstName: 'x'.repeat(201) }, 'firstName'],
    ];
    // Refused submissions count against the client's limit too, so each comes from a client of its own.
    for (const [body, field] of cases) {
      const res = await postJson(listId, body, freshIp());
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(res.body.fields), JSON.stringify(body)).toContain(field);
    }
    const page = await postForm(
      listId,
      { email: 'a@example.com', consent: 'yes', 'attributes.plan': 'gold' },
      freshIp(),
    );
    expect(page.status).toBe(400);
    expect(page.text).toContain('attributes.plan');
    const ok = await postForm(
      listId,
      { email: 'plan@example.com', consent: 'yes', 'attributes[plan]': '3' },
      freshIp(),
    );
    expect(ok.status).toBe(200);
    expect((await signupRow('plan@example.com')).attributes).toEqual({ plan: 3 });

    // No form, a switched-off form, a malformed id: the same 404.
    const off = (await t.request('POST', '/api/v1/lists', { body: { name: 'Off' } })).body.id as string;
    for (const id of [off, '999999', 'abc']) {
      expect((await postJson(id, { email: 'a@example.com' }, freshIp())).status).toBe(404);
    }
  });

  it('answers a forged, altered, truncated or foreign link with the 404 page and an expired one with 410', async () => {
    const listId = await list('Links');
    await postJson(listId, { email: 'links@example.com' }, freshIp());
    const path = await confirmPath(await mailTo('links@example.com'));
    const token = path.split('/').pop()!;
    const [id, expiry, mac] = token.split('.');
    const flip = mac[0] === 'A' ? 'B' : 'A';
    const bad = [
      `${id}.${expiry}.${flip}${mac.slice(1)}`,
      `${Number(id) + 1}.${expiry}.${mac}`,
      `${id}.${Number(expiry) + 86_400}.${mac}`,
      token.slice(0, -3),
      'nothing',
      `${'9'.repeat(30)}.1.${mac}`,
    ];
    for (const b of bad) {
      for (const method of ['GET', 'POST'] as const) {
        const res = await publicPage(method, `/subscribe/confirm/${encodeURIComponent(b)}`);
        expect(res.status, `${method} ${b}`).toBe(404);
        expect(res.text).toContain('Link not valid');
      }
    }
    expect(await contactIn('links@example.com', listId)).toBeUndefined();

    await t.db.query(`UPDATE signups SET expires_at = now() - interval '1 second' WHERE email = 'links@example.com'`);
    const expired = await publicPage('POST', path);
    expect(expired.status).toBe(410);
    expect(await contactIn('links@example.com', listId)).toBeUndefined();
  });

  it('sends confirmations within the sender’s daily limit and keeps the rest for its next day', async () => {
    const limited = await createSender(t, sink.port, { dailyLimit: 1 });
    const listId = await list('Quota', { senderId: limited });
    const ip = freshIp();
    await postJson(listId, { email: 'quota1@example.com' }, ip);
    await mailTo('quota1@example.com');
    await postJson(listId, { email: 'quota2@example.com' }, ip);
    const row = await until(
      () => signupRow('quota2@example.com'),
      (r) => r.mail_status === 'deferred',
    );
    expect(row.last_reply).toContain('daily limit');
    expect(row.mail_attempts).toBe(0);
    expect(new Date(row.next_attempt_at).getTime()).toBeGreaterThan(Date.now());
    expect(sink.messages.some((m) => m.to.includes('quota2@example.com'))).toBe(false);
  });

  it('keeps the submission row as the truth: a submission whose job never reached Redis is still decided and mailed', async () => {
    const listId = await list('Truth');
    // As if the api had stored the row and then failed to enqueue its job.
    await t.db.query(
      `INSERT INTO signups (list_id, email, language, consent_text, consent_version, consent_hash, expires_at)
       VALUES ($1, 'orphan@example.com', 'en', '', '1', repeat('0', 64), now() + interval '7 days')`,
      [listId],
    );
    const mail = await mailTo('orphan@example.com');
    expect((await parse(mail)).subject).toBe('Please confirm your subscription to Truth');
    expect(await signupRow('orphan@example.com')).toMatchObject({ state: 'pending', mail_status: 'sent' });
  });

  it('defers a confirmation mail the server refuses for now, to try it again later', async () => {
    const listId = await list('Later');
    sink.behave('later@example.com', 'rcpt-451');
    await postJson(listId, { email: 'later@example.com' }, freshIp());
    const row = await until(
      () => signupRow('later@example.com'),
      (r) => r?.mail_status === 'deferred',
    );
    expect(row.mail_attempts).toBe(1);
    expect(row.last_reply).toContain('451');
    expect(new Date(row.next_attempt_at).getTime()).toBeGreaterThan(Date.now() + 30_000);
    expect(sink.messages.some((m) => m.to.includes('later@example.com'))).toBe(false);
  });

  describe('form settings', () => {
    it('has defaults, refuses unsafe redirects and a form without sender, and escapes a hostile list name in the snippet', async () => {
      const hostile = `"><script>alert(1)</script><b x='`;
      const listId = (await t.request('POST', '/api/v1/lists', { body: { name: hostile } })).body.id as string;
      const defaults = await t.request('GET', `/api/v1/lists/${listId}/form`);
      expect(defaults.status).toBe(200);
      expect(defaults.body).toMatchObject({ enabled: false, doubleOptIn: true, senderId: null, updatedAt: null });

      const put = (body: unknown) => t.request('PUT', `/api/v1/lists/${listId}/form`, { body });
      const refusals: [unknown, string][] = [
        [{ enabled: true }, 'senderId'],
        [{ enabled: true, senderId, successUrl: 'http://www.shop.example/' }, 'successUrl'],
        [{ enabled: true, senderId, confirmedUrl: 'javascript:alert(1)' }, 'confirmedUrl'],
        [{ enabled: true, senderId, successUrl: 'https://user:pw@www.shop.example/' }, 'successUrl'],
        [{ enabled: true, senderId: '999999' }, 'senderId'],
        [{ enabled: 'yes' }, 'enabled'],
      ];
      for (const [body, field] of refusals) {
        const res = await put(body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(Object.keys(res.body.fields ?? {}), res.text).toContain(field);
      }
      expect((await t.request('PUT', '/api/v1/lists/999999/form', { body: { enabled: false } })).status).toBe(404);

      const saved = await put({
        enabled: true,
        senderId,
        consentText: 'I agree & <consent>',
        successUrl: 'https://www.shop.example/thanks',
      });
      expect(saved.status, saved.text).toBe(200);
      const { snippet, actionUrl } = saved.body;
      expect(actionUrl).toBe(`${t.config.PUBLIC_URL.replace(/\/$/, '')}/subscribe/${listId}`);
      expect(snippet).toContain(`action="${actionUrl}"`);
      expect(snippet).not.toContain('<script>');
      expect(snippet).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;b x=&#39;');
      expect(snippet).toContain('I agree &amp; &lt;consent&gt;');
      expect(snippet).toMatch(/name="company_website" tabindex="-1"/);
      expect(snippet).toContain('name="email"');
      expect((await t.request('GET', `/api/v1/lists/${listId}/form`)).body).toEqual(saved.body);
    });
  });
});
