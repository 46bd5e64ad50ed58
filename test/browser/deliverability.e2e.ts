import { generateKeyPairSync } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { type Browser, openBrowser, screenshot, signIn } from '../support/browser.js';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.js';

const DOMAIN = 'deliver.example.com';

/**
 * The deliverability screens: a sender's DNS check against a local DNS
 * server, the pre-send checklist with its confirmation when checks fail, and
 * the mail the inbound listener took, hostile subject and all.
 */
describe('the deliverability screens', { timeout: 120_000 }, () => {
  let t: TestApp;
  let dns: TestDnsServer;
  let browser: Browser;
  let senderId: string;

  beforeAll(async () => {
    dns = await startDnsServer();
    t = await startTestApp({
      withRelay: true,
      env: { HERALD_DNS_SERVERS: dns.servers, HERALD_DNS_TIMEOUT_MS: '400' },
    });
    const res = await t.request('POST', '/api/v1/senders', {
      body: {
        name: 'Newsletter',
        host: '192.0.2.10',
        port: 2525,
        security: 'none',
        fromEmail: `news@${DOMAIN}`,
        postalAddress: '1 Main Street, Springfield',
        dkimDomain: DOMAIN,
        dkimSelector: 's1',
        dkimGenerate: true,
      },
    });
    expect(res.status, res.text).toBe(201);
    senderId = res.body.id;
  });
  afterAll(async () => {
    await t?.close();
    await dns?.close();
  });
  afterEach(async () => {
    await browser?.close();
  });

  it("checks a sender's DNS on demand and shows each verdict beside what to publish", async () => {
    // SPF as it should be, a stale DKIM key, no DMARC record.
    const staleKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .publicKey.export({ type: 'spki', format: 'der' })
      .toString('base64');
    dns.zone.set(DOMAIN, ['v=spf1 ip4:192.0.2.10 ~all']);
    dns.zone.set(`s1._domainkey.${DOMAIN}`, [`v=DKIM1; k=rsa; p=${staleKey}`]);
    const publish = (await t.request('GET', `/api/v1/senders/${senderId}/dns`)).body;

    browser = await openBrowser();
    const { page, context } = browser;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url });
    await signIn(page, t, `/senders/${senderId}`);
    await page.getByRole('table', { name: 'DNS records' }).waitFor();
    expect(await page.getByRole('table', { name: 'DNS check' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Check DNS' }).click();
    const checks = page.getByRole('table', { name: 'DNS check' });
    const row = (name: string) => checks.getByRole('row').filter({ has: page.getByRole('rowheader', { name }) });
    await row('SPF').first().getByText('ok', { exact: true }).waitFor();
    await row('DKIM').first().getByText('wrong', { exact: true }).waitFor();
    await row('DMARC').getByText('missing', { exact: true }).waitFor();
    // What is there beside what to publish, and the sentence saying what to do.
    await row('DKIM').first().getByText(staleKey, { exact: false }).waitFor();
    await row('DKIM').first().getByText(publish.dkim.value, { exact: true }).waitFor();
    await row('DMARC').getByText(publish.dmarc.value, { exact: true }).waitFor();
    expect(await row('DMARC').textContent()).toMatch(/Gmail and Yahoo require/);
    await row('DMARC').getByRole('button', { name: 'Copy DMARC record to publish' }).click();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(publish.dmarc.value);
    await page.getByText(`Some records for ${DOMAIN} need attention`, { exact: false }).waitFor();
    await screenshot(page, 'deliverability-01-dns-check');

    // A resolver that fails is an error of that check, not of the page.
    dns.failing.add(`_dmarc.${DOMAIN}`);
    await page.getByRole('button', { name: 'Check DNS' }).click();
    await row('DMARC').getByText('error', { exact: true }).waitFor();
    await row('SPF').first().getByText('ok', { exact: true }).waitFor();
    dns.failing.delete(`_dmarc.${DOMAIN}`);
    expect(browser.problems).toEqual([]);
  });
});
