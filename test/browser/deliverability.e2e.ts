import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InboundServer } from '../../libs/inbound/src/index.js';
import { browserSuite, screenshot, signIn } from '../support/browser.js';
import { createTemplate } from '../support/campaigns.js';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.js';
import { deliverInbound } from '../support/inbound.js';

const HOSTILE = '<img src=x onerror=alert(1)>';
const DOMAIN = 'deliver.example.com';

/**
 * The deliverability screens: a sender's DNS check against a local DNS
 * server, the pre-send checklist with its confirmation when checks fail, and
 * the mail the inbound listener took, hostile subject and all.
 */
describe('the deliverability screens', { timeout: 120_000 }, () => {
  let dns: TestDnsServer;
  let senderId: string;

  beforeAll(async () => {
    dns = await startDnsServer();
  });
  const t = browserSuite({
    withRelay: true,
    env: () => ({ HERALD_DNS_SERVERS: dns.servers, HERALD_DNS_TIMEOUT_MS: '400' }),
  });
  beforeAll(async () => {
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
    await dns?.close();
  });

  it("checks a sender's DNS on demand and shows each verdict beside what to publish", async () => {
    // SPF as it should be, a stale DKIM key, no DMARC record.
    const staleKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .publicKey.export({ type: 'spki', format: 'der' })
      .toString('base64');
    dns.zone.set(DOMAIN, ['v=spf1 ip4:192.0.2.10 ~all']);
    dns.zone.set(`s1._domainkey.${DOMAIN}`, [`v=DKIM1; k=rsa; p=${staleKey}`]);
    const publish = (await t.request('GET', `/api/v1/senders/${senderId}/dns`)).body;

    const browser = await t.open();
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

  it('lists failing checks first and asks before sending in spite of them', async () => {
    const templateId = await createTemplate(t);
    const listId = (await t.request('POST', '/api/v1/lists', { body: { name: 'Everyone' } })).body.id;
    await t.request('POST', '/api/v1/contacts', { body: { email: 'reader@example.com', listIds: [listId] } });
    const created = await t.request('POST', '/api/v1/campaigns', {
      body: {
        name: 'Loud',
        templateId,
        subject: 'Spring is here!!',
        senderIds: [senderId],
        audience: { listIds: [listId] },
      },
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id as string;

    const browser = await t.signIn(`/campaigns/${id}`);
    const { page } = browser;
    // The draft's page has the checklist: the failing check first, the DNS trouble as a warning.
    const fix = page.getByRole('list', { name: 'To fix before sending' });
    await fix.getByText('Too many exclamation marks').waitFor();
    const warnings = page.getByRole('list', { name: 'Worth a look' });
    await warnings.getByText('SPF and DKIM aligned with the From domain').waitFor();
    expect(await warnings.textContent()).toMatch(/dkim wrong/);
    await page.getByRole('list', { name: 'Passed' }).getByText('Plain-text part').waitFor();
    await screenshot(page, 'deliverability-02-campaign-checklist');

    await page.getByRole('link', { name: 'Continue to check and send' }).click();
    for (const next of [
      page.getByRole('combobox', { name: 'Template' }),
      page.getByRole('link', { name: 'Manage senders' }),
      page.getByLabel('Preheader'),
      page.getByRole('radio', { name: 'Send now' }),
    ]) {
      await page.getByRole('button', { name: 'Save and continue' }).click();
      await next.waitFor();
    }
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    const checklist = page.getByRole('region', { name: 'Pre-flight checklist' });
    await checklist.getByText('1 contact can be mailed now.').waitFor();
    await checklist
      .getByRole('list', { name: 'To fix before sending' })
      .getByText('Too many exclamation marks')
      .waitFor();
    await page.getByRole('button', { name: 'Send now' }).click();
    const confirm = page.getByRole('dialog', { name: 'Send this campaign now?' });
    await confirm.getByRole('list', { name: 'Failing checks' }).getByText('Too many exclamation marks').waitFor();
    await screenshot(page, 'deliverability-03-wizard-confirm');
    await confirm.getByRole('button', { name: 'Not yet' }).click();
    await confirm.waitFor({ state: 'hidden' });
    expect((await t.request('GET', `/api/v1/campaigns/${id}`)).body.state).toBe('draft');

    // Scheduled, then sent now from its page: the failures are listed before it goes.
    const at = await t.request('POST', `/api/v1/campaigns/${id}/schedule`, {
      body: { at: '2099-01-01T09:00', timeZone: 'Europe/Berlin' },
    });
    expect(at.status, at.text).toBe(200);
    await page.goto(`${t.url}/campaigns/${id}`);
    await page.getByText('scheduled', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Send now' }).click();
    const unsafe = page.getByRole('dialog', { name: 'Send with failing checks?' });
    await unsafe.getByText('Too many exclamation marks').waitFor();
    await screenshot(page, 'deliverability-04-send-anyway');
    expect((await t.request('GET', `/api/v1/campaigns/${id}`)).body.state).toBe('scheduled');
    await unsafe.getByRole('button', { name: 'Send anyway' }).click();
    await page.getByText('sending', { exact: true }).waitFor();
    expect((await t.request('GET', `/api/v1/campaigns/${id}`)).body.state).toBe('sending');
    expect((await t.request('POST', `/api/v1/campaigns/${id}/cancel`)).status).toBe(200);
    expect(browser.problems).toEqual([]);
  });

  it('shows the mail the inbound listener took, a hostile subject as text, and the raw message as text', async () => {
    const browser = await t.open();
    const { page } = browser;
    // The page's own clock, so its next refresh can be brought forward rather than waited for. (Not on
    // screens with a sandboxed frame: the frame refuses the clock's script, and says so on the console.)
    await page.clock.install();
    await signIn(page, t, '/contacts');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Bounces & complaints' }).click();
    await page.getByRole('heading', { name: 'No mail has come back yet' }).waitFor();
    await page.getByText('HERALD_INBOUND_PORT').waitFor();
    await screenshot(page, 'deliverability-05-inbound-empty');

    // A bounce for a message Herald never sent (the token does not verify), with a hostile subject and body.
    const template = await readFile(new URL('../fixtures/inbound/dsn-hard.eml', import.meta.url), 'utf8');
    const token = 'A'.repeat(22);
    const raw = template
      .replace('Subject: Undelivered Mail Returned to Sender', `Subject: ${HOSTILE}`)
      .replace('This is a MIME-encapsulated message.', `This is a MIME-encapsulated message. ${HOSTILE}`)
      .replaceAll('herald-test.example.com', DOMAIN)
      .replaceAll('TOKEN', token)
      .replaceAll('RECIPIENT', 'reader@example.com')
      .replace(/\r?\n/g, '\r\n');
    const sent = await deliverInbound(t.app.get(InboundServer).port!, `bounce+${token}@${DOMAIN}`, raw);
    expect(sent.response).toMatch(/Kept as inbound message/);

    // The list reads again by itself, every 10 s; the message shows up with its outcome.
    await page.clock.fastForward(10_000);
    const table = page.getByRole('table', { name: 'Inbound mail' });
    await table.getByRole('link', { name: HOSTILE }).waitFor({ timeout: 20_000 });
    const row = table.getByRole('row').filter({ has: page.getByRole('link', { name: HOSTILE }) });
    await row.getByText('unmatched', { exact: true }).waitFor();
    await row.getByText(`bounce+${token}@${DOMAIN}`).waitFor();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await screenshot(page, 'deliverability-06-inbound-list');

    await page.getByRole('combobox', { name: 'Outcome' }).click();
    await page.getByRole('option', { name: 'processed' }).click();
    await page.getByRole('heading', { name: 'No processed mail' }).waitFor();
    await page.getByRole('combobox', { name: 'Outcome' }).click();
    await page.getByRole('option', { name: 'unmatched' }).click();

    await table.getByRole('link', { name: HOSTILE }).click();
    await page.getByRole('heading', { name: HOSTILE }).waitFor();
    await page.getByText('Delivery status notification').waitFor();
    const recipients = page.getByRole('table', { name: 'Recipients' });
    await recipients.getByText('reader@example.com', { exact: true }).waitFor();
    await recipients.getByText('failed', { exact: true }).waitFor();
    await page.getByRole('tab', { name: 'Raw message' }).click();
    // The raw message is text in a <pre>: the hostile subject and body are there as characters, not elements.
    const rawView = page.getByRole('tabpanel', { name: 'Raw message' }).locator('pre');
    await rawView.waitFor();
    expect(await rawView.textContent()).toContain(`Subject: ${HOSTILE}`);
    expect(await rawView.textContent()).toContain(`MIME-encapsulated message. ${HOSTILE}`);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await screenshot(page, 'deliverability-07-inbound-raw');
    await page.getByRole('tab', { name: 'Headers' }).click();
    await page.getByRole('table', { name: 'Headers' }).getByText(HOSTILE).waitFor();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(browser.problems).toEqual([]);
  });
});
