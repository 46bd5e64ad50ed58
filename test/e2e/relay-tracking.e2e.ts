import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayServer } from '../../libs/relay/src/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createSender, parse, until } from '../support/campaigns.js';
import { type SinkMessage, type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

const DOMAIN = 'relay-tracking.example.com';
const FROM = `app@${DOMAIN}`;
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36';
const SHOP = 'https://shop.example.com/order?id=7&step=2';
const HELP = 'https://help.example.com/';
/** The HTML a client sends: two distinct links (one twice, entity-encoded), a mailto and an anchor. */
const HTML =
  `<html><body><p>Your order</p><a href="${SHOP.replace('&', '&amp;')}">Order</a> ` +
  `<a href="${HELP}">Help</a> <a href="mailto:help@example.com">Mail us</a> <a href="#top">Top</a> ` +
  `<a href="${SHOP}">Order again</a></body></html>`;
const ATTACHED = '<html><body><a href="https://attached.example.com/">not the message</a></body></html>';

/**
 * Tracking of relayed and API mail: keys that ask for it get the open
 * pixel and tracked links, with the same token and routes as campaign mail,
 * rewritten before DKIM signs the message; a click leads only to a link
 * stored for the message; opens and clicks show on the message.
 */
describe('relay and API mail: tracking per key', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let senderId: string;
  let starttlsPort: number;
  let dkimRecord: { name: string; value: string };

  async function createKey(body: Record<string, unknown>): Promise<string> {
    const res = await t.request('POST', '/api/v1/api-keys', { body: { name: 'tracked', ...body } });
    expect(res.status).toBe(201);
    return res.body.key as string;
  }

  const relay = (key: string) =>
    nodemailer.createTransport({
      host: '127.0.0.1',
      port: starttlsPort,
      secure: false,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
      auth: { user: 'apikey', pass: key },
    });

  const delivered = async (to: string): Promise<SinkMessage> =>
    (await until(
      async () => sink.messages.find((m) => m.to[0] === to),
      (m) => m !== undefined,
    ))!;

  async function dkimResult(raw: Buffer): Promise<string> {
    const resolver = async (name: string, type: string) => {
      if (type === 'TXT' && name === dkimRecord.name) return [[dkimRecord.value]];
      throw Object.assign(new Error(`no ${type} record for ${name}`), { code: 'ENOTFOUND' });
    };
    const { results } = await dkimVerify(raw, { resolver });
    return results[0].status.result as string;
  }

  const hit = (path: string) => fetch(t.url + path, { headers: { 'user-agent': BROWSER }, redirect: 'manual' });

  const messageTo = async (email: string) => {
    const list = await t.request('GET', '/api/v1/messages?limit=100');
    const found = (list.body.items as any[]).find((m) => m.recipients.some((r: any) => r.email === email));
    return (await t.request('GET', `/api/v1/messages/${found.id}`)).body;
  };

  beforeAll(async () => {
    t = await startTestApp({ withWorker: true, withRelay: true, env: { HERALD_SCHEDULER_TICK_MS: '200' } });
    sink = await startSmtpSink();
    senderId = await createSender(t, sink.port, {
      fromEmail: FROM,
      dkimDomain: DOMAIN,
      dkimSelector: 'track',
      dkimGenerate: true,
    });
    starttlsPort = t.app
      .get(RelayServer)
      .listeners()
      .find((l) => l.mode === 'starttls')!.port;
    dkimRecord = (await t.request('GET', `/api/v1/senders/${senderId}`)).body.dkimRecord;
  });

  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  it('shows a key’s tracking options, off unless asked, and never the key again', async () => {
    const plain = await t.request('POST', '/api/v1/api-keys', { body: { name: 'plain' } });
    expect(plain.body).toMatchObject({ trackOpens: false, trackClicks: false });
    const tracked = await t.request('POST', '/api/v1/api-keys', {
      body: { name: 'tracked', scope: 'relay', trackOpens: true, trackClicks: true },
    });
    expect(tracked.body).toMatchObject({ scope: 'relay', trackOpens: true, trackClicks: true });
    const listed = (await t.request('GET', '/api/v1/api-keys')).body.items as any[];
    const view = listed.find((k) => k.id === tracked.body.id);
    expect(view).toMatchObject({ trackOpens: true, trackClicks: true });
    expect(view.key).toBeUndefined();
    const bad = await t.request('POST', '/api/v1/api-keys', { body: { name: 'x', trackClicks: 'yes' } });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('trackClicks');
  });

  it('tracks relayed mail of a key with tracking on: pixel and links under the token, DKIM intact, clicks only to stored links', async () => {
    const key = await createKey({ scope: 'relay', trackOpens: true, trackClicks: true });
    await relay(key).sendMail({
      from: FROM,
      to: 'tracked@example.com',
      subject: 'Your order',
      text: 'Your order: ' + SHOP,
      html: HTML,
      attachments: [{ filename: 'copy.html', content: ATTACHED, contentType: 'text/html' }],
    });
    const mail = await delivered('tracked@example.com');
    expect(await dkimResult(mail.raw)).toBe('pass');
    const parsed = await parse(mail);
    const html = parsed.html as string;
    const clicks = [...html.matchAll(/href="[^"]*\/t\/c\/([A-Za-z0-9_-]{22})\.(\d+)"/g)];
    expect(clicks.map((c) => c[2])).toEqual(['0', '1', '0']);
    const token = clicks[0][1];
    expect(new Set(clicks.map((c) => c[1]))).toEqual(new Set([token]));
    // The same token as the VERP envelope sender (there in hex): one token per recipient row.
    expect(mail.from).toBe(`bounce+${Buffer.from(token, 'base64url').toString('hex')}@${DOMAIN}`);
    expect(html).toContain(`<img src="${t.config.PUBLIC_URL.replace(/\/+$/, '')}/t/o/${token}"`);
    expect(html).not.toContain('shop.example.com');
    expect(html).toContain('href="mailto:help@example.com"');
    expect(html).toContain('href="#top"');
    // The text part and the attached HTML file are not the message's HTML: as sent.
    expect(parsed.text?.trim()).toBe('Your order: ' + SHOP);
    expect(parsed.attachments[0].content.toString()).toBe(ATTACHED);

    const click = await hit(`/t/c/${token}.0`);
    expect(click.status).toBe(302);
    expect(click.headers.get('location')).toBe(SHOP);
    expect((await hit(`/t/c/${token}.1`)).headers.get('location')).toBe(HELP);
    expect((await hit(`/t/o/${token}`)).status).toBe(200);

    const message = await messageTo('tracked@example.com');
    expect(message).toMatchObject({ source: 'smtp', trackOpens: true, trackClicks: true });
    const engagement = await until(
      async () => (await messageTo('tracked@example.com')).recipients[0].engagement,
      (e) => e.clicks.total === 2 && e.opens.total === 1,
    );
    expect(engagement).toMatchObject({ opens: { total: 1 }, clicks: { total: 2 } });
  });

  it('answers a forged link index or token with the 404 page, never a redirect', async () => {
    const key = await createKey({ scope: 'relay', trackClicks: true });
    await relay(key).sendMail({ from: FROM, to: 'forged@example.com', subject: 'Links', html: HTML });
    const html = (await parse(await delivered('forged@example.com'))).html as string;
    const token = /\/t\/c\/([A-Za-z0-9_-]{22})\.0/.exec(html)![1];
    // Clicks only: no pixel.
    expect(html).not.toContain('/t/o/');
    const altered = token.slice(0, 5) + (token[5] === 'A' ? 'B' : 'A') + token.slice(6);
    for (const path of [`/t/c/${token}.2`, `/t/c/${token}.999999`, `/t/c/${altered}.0`, `/t/c/${token}.-1`]) {
      const res = await hit(path + '?url=https://evil.example.com/');
      expect(res.status, path).toBe(404);
      expect(res.headers.get('location'), path).toBeNull();
      expect(res.headers.get('content-type'), path).toBe('text/html; charset=utf-8');
    }
  });

  it('sends the HTML of a key with tracking off as it was given', async () => {
    const key = await createKey({ scope: 'relay' });
    await relay(key).sendMail({ from: FROM, to: 'untracked@example.com', subject: 'Plain', html: HTML });
    const mail = await delivered('untracked@example.com');
    expect(await dkimResult(mail.raw)).toBe('pass');
    expect(((await parse(mail)).html as string).trim()).toBe(HTML);
    expect(await messageTo('untracked@example.com')).toMatchObject({ trackOpens: false, trackClicks: false });
  });

  it('tracks POST /messages as its key says, and as the message says over it', async () => {
    const key = await createKey({ trackOpens: true, trackClicks: true });
    const send = (to: string, extra: Record<string, unknown> = {}, auth: string = key) =>
      t.request('POST', '/api/v1/messages', {
        auth,
        body: { senderId, to: [to], subject: 'Receipt', html: HTML, text: 'Receipt', ...extra },
      });
    expect((await send('api-tracked@example.com')).body).toMatchObject({ trackOpens: true, trackClicks: true });
    expect((await send('api-override@example.com', { trackClicks: false })).body).toMatchObject({
      trackOpens: true,
      trackClicks: false,
    });
    // The tests' own key has tracking off: untracked unless the message asks.
    expect((await send('api-default@example.com', {}, t.apiKey)).body).toMatchObject({ trackOpens: false });
    expect((await send('api-asked@example.com', { trackClicks: true }, t.apiKey)).body).toMatchObject({
      trackOpens: false,
      trackClicks: true,
    });

    const tracked = await delivered('api-tracked@example.com');
    expect(await dkimResult(tracked.raw)).toBe('pass');
    const html = (await parse(tracked)).html as string;
    const token = /\/t\/c\/([A-Za-z0-9_-]{22})\.1"/.exec(html)![1];
    expect(html).toContain(`/t/o/${token}"`);
    expect((await hit(`/t/c/${token}.1`)).headers.get('location')).toBe(HELP);
    await until(
      async () => (await messageTo('api-tracked@example.com')).recipients[0].engagement.clicks.total,
      (n) => n === 1,
    );

    const override = (await parse(await delivered('api-override@example.com'))).html as string;
    expect(override).toContain('/t/o/');
    expect(override).toContain(`href="${SHOP.replace('&', '&amp;')}"`);
    expect(override).not.toContain('/t/c/');
    expect(((await parse(await delivered('api-default@example.com'))).html as string).trim()).toBe(HTML);
    const asked = (await parse(await delivered('api-asked@example.com'))).html as string;
    expect(asked).toMatch(/\/t\/c\/[A-Za-z0-9_-]{22}\.0"/);
    expect(asked).not.toContain('/t/o/');
  });
});
