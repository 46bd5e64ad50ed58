import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSuite, screenshot, signIn } from '../support/browser.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const HOSTILE = '<img src=x onerror=alert(1)>';
const SECRET = 'sink-password-do-not-show';

/** The senders screens: the form with write-only secrets, verify in plain words, and the DNS records to publish. */
describe('the senders screens', { timeout: 90_000 }, () => {
  const t = browserSuite();
  let sink: SmtpSink;

  beforeAll(async () => {
    sink = await startSmtpSink({ auth: { user: 'herald', pass: SECRET } });
  });
  afterAll(async () => {
    await sink?.close();
  });

  it('adds a sender with errors beside their field, generates DKIM, verifies it and offers its DNS records to copy', async () => {
    const browser = await t.open();
    const { page, context } = browser;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url });
    await signIn(page, t, '/senders');
    await page.getByRole('heading', { name: 'Senders' }).waitFor();
    await page.getByRole('button', { name: 'Add sender' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a sender' });
    await dialog.getByLabel('Name', { exact: false }).first().fill(HOSTILE);
    await dialog.getByLabel('SMTP host').fill('127.0.0.1');
    await dialog.getByRole('textbox', { name: 'Port' }).fill(String(sink.port));
    await dialog.getByRole('combobox', { name: 'Security' }).click();
    await page.getByRole('option', { name: 'None (plain text)' }).click();
    await dialog.getByLabel('Username').fill('herald');
    await dialog.getByRole('textbox', { name: 'Password' }).fill(SECRET);
    await dialog.getByLabel('From address').fill('news@example');
    await dialog.getByLabel('Postal address').fill('1 Main Street, Springfield');
    await dialog.getByText('Generate a key', { exact: true }).click();
    await dialog.getByLabel('DKIM domain').fill('example.com');
    await dialog.getByRole('button', { name: 'Add sender' }).click();
    // The API refuses the address; its words show beside the field.
    await expect
      .poll(async () => dialog.getByLabel('From address').getAttribute('aria-invalid'), { timeout: 10_000 })
      .toBe('true');
    await screenshot(page, 'senders-01-field-error');
    await dialog.getByLabel('From address').fill('news@example.com');
    await dialog.getByRole('button', { name: 'Add sender' }).click();

    await page.getByRole('heading', { name: HOSTILE }).waitFor();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await page.getByRole('button', { name: 'Verify connection' }).click();
    await page.getByText('The server accepts Herald').waitFor({ timeout: 20_000 });

    const records = page.getByRole('table', { name: 'DNS records' });
    await records.getByText('v=spf1', { exact: false }).waitFor();
    await records.getByText('herald._domainkey', { exact: false }).waitFor();
    await records.getByText('_dmarc', { exact: false }).first().waitFor();
    const id = page.url().split('/').pop()!;
    const dns = await t.request('GET', `/api/v1/senders/${id}/dns`);
    await page.getByRole('button', { name: 'Copy DKIM value' }).click();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(dns.body.dkim.value);
    await screenshot(page, 'senders-02-verified-dns');

    // The secret never comes back: not in the page, not in the edit form.
    expect(await page.content()).not.toContain(SECRET);
    await page.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('dialog', { name: `Edit ${HOSTILE}` });
    await edit.getByText('A password is stored').waitFor();
    expect(await edit.getByRole('textbox', { name: 'Password' }).inputValue()).toBe('');
    await edit.getByLabel('Daily limit').fill('500');
    await edit.getByRole('button', { name: 'Save sender' }).click();
    await page.getByText('500 a day', { exact: false }).waitFor();
    const saved = await t.request('GET', `/api/v1/senders/${id}`);
    expect(saved.body).toMatchObject({ hasPassword: true, hasDkimKey: true, dailyLimit: 500 });
    // Saving without typing a password kept it: the server still accepts the sign-in.
    await page.getByRole('button', { name: 'Verify connection' }).click();
    await page.getByText('The server accepts Herald').waitFor({ timeout: 20_000 });

    await page.getByRole('link', { name: '← Senders' }).click();
    await page.getByRole('cell', { name: HOSTILE }).waitFor();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(browser.problems).toEqual([]);
  });

  it('says in plain words why a sender could not connect', async () => {
    const closed = await startSmtpSink();
    const port = closed.port;
    await closed.close();
    const created = await t.request('POST', '/api/v1/senders', {
      body: {
        name: 'Nowhere',
        host: '127.0.0.1',
        port,
        security: 'none',
        fromEmail: 'news@example.com',
        postalAddress: '1 Street',
      },
    });
    expect(created.status, created.text).toBe(201);
    const browser = await t.signIn(`/senders/${created.body.id}`);
    const { page } = browser;
    await page.getByRole('button', { name: 'Verify connection' }).click();
    await page.getByText('It failed at: connect').waitFor({ timeout: 20_000 });
    const result = await page.getByRole('status').textContent();
    expect(result).toMatch(/connect/i);
    await screenshot(page, 'senders-03-verify-failed');
    expect(browser.problems).toEqual([]);
  });
});
