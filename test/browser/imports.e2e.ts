import { beforeAll, describe, expect, it } from 'vitest';
import { browserSuite, screenshot } from '../support/browser.js';

const HOSTILE = '<img src=x onerror=alert(1)>';

/** A CSV with recognised and unrecognised headers, a row of markup, and one address that is not one. */
function exportCsv(rows: number): Buffer {
  const lines = ['Courriel,Prénom,Plan,Notes'];
  lines.push(`hostile@example.com,"${HOSTILE}",gold,"<script>alert(2)</script>"`);
  lines.push('not-an-address,Broken,silver,');
  for (let i = 0; i < rows; i += 1) lines.push(`reader${i}@example.com,Reader ${i},basic,${'x'.repeat(20)}`);
  return Buffer.from(lines.join('\n'));
}

describe('the import wizard', { timeout: 90_000 }, () => {
  const t = browserSuite({ withWorker: true });

  beforeAll(async () => {
    await t.request('POST', '/api/v1/fields', { body: { name: 'plan', type: 'text' } });
  });

  it('uploads a CSV with progress, shows its first rows and mapping, and follows the import to its summary', async () => {
    const list = await t.request('POST', '/api/v1/lists', { body: { name: HOSTILE } });
    const browser = await t.signIn('/contacts');
    const { page } = browser;
    await page.getByRole('link', { name: 'Import CSV' }).first().click();
    await page.getByRole('heading', { name: 'Import contacts' }).waitFor();

    const csv = exportCsv(20_000);
    await page.locator('input[type="file"]').setInputFiles({ name: 'export.csv', mimeType: 'text/csv', buffer: csv });
    const rows = page.getByRole('table', { name: 'First rows of the file' });
    await rows.waitFor();
    expect(await rows.getByRole('row').count()).toBe(11);
    await rows.getByText(HOSTILE).waitFor();
    // Recognised by the API: Courriel is the address, Prénom the first name; Plan and Notes are not known headers.
    expect(await page.getByRole('combobox', { name: 'Column Courriel imports as' }).inputValue()).toBe('Email');
    expect(await page.getByRole('combobox', { name: 'Column Prénom imports as' }).inputValue()).toBe('First name');
    expect(await page.getByRole('combobox', { name: 'Column Plan imports as' }).inputValue()).toBe('Skip this column');
    await page.getByRole('combobox', { name: 'Column Plan imports as' }).click();
    await page.getByRole('option', { name: 'Field: plan' }).click();
    await page.getByRole('combobox', { name: 'Add to list' }).click();
    await page.getByRole('option', { name: HOSTILE }).click();
    await page.getByLabel('Leave them as they are (still added to the list)').check();
    await screenshot(page, 'imports-01-preview');

    // A slow uplink, so the upload's own progress is seen before the import starts.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 256 * 1024,
    });
    await page.getByRole('button', { name: 'Start import' }).click();
    const upload = page.getByRole('progressbar', { name: 'Upload progress' });
    await upload.waitFor();
    await expect
      .poll(async () => Number(await upload.getAttribute('aria-valuenow')), { timeout: 20_000 })
      .toBeGreaterThan(0);
    await screenshot(page, 'imports-02-uploading');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });

    await page.waitForURL(/\/imports\/\d+$/, { timeout: 30_000 });
    const progress = page.getByRole('progressbar', { name: 'Import progress' });
    await expect.poll(async () => Number(await progress.getAttribute('aria-valuenow')), { timeout: 30_000 }).toBe(100);
    await page.getByRole('status').filter({ hasText: 'Done' }).waitFor();
    await page.getByText(`everyone goes to the list ${HOSTILE}`).waitFor();
    const download = page.getByRole('link', { name: 'Download the 1 rejected rows' });
    await download.waitFor();
    await screenshot(page, 'imports-03-done');

    const errors = await page.evaluate(
      (href) => fetch(href).then((r) => r.text()),
      (await download.getAttribute('href')) as string,
    );
    expect(errors).toContain('not-an-address');
    const id = page.url().split('/').pop() as string;
    const done = await t.request('GET', `/api/v1/imports/${id}`);
    expect(done.body).toMatchObject({
      status: 'done',
      inserted: 20_001,
      failed: 1,
      mode: 'skip-existing',
      listId: list.body.id,
    });
    const hostile = await t.db.query(`SELECT first_name, attributes FROM contacts WHERE email = 'hostile@example.com'`);
    expect(hostile.rows[0]).toEqual({ first_name: HOSTILE, attributes: { plan: 'gold' } });

    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(browser.problems).toEqual([]);
  });

  it('asks for the email column when none is recognised, and imports once one is chosen', async () => {
    const browser = await t.signIn('/imports/new');
    const { page } = browser;
    await page.locator('input[type="file"]').setInputFiles({
      name: 'odd.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('Address;Who\nodd@example.com;Odd\n'),
    });
    await page.getByText('No column is imported as Email').waitFor();
    expect(await page.getByRole('button', { name: 'Start import' }).isDisabled()).toBe(true);
    await page.getByRole('combobox', { name: 'Column Address imports as' }).click();
    await page.getByRole('option', { name: 'Email', exact: true }).click();
    expect(await page.getByRole('button', { name: 'Start import' }).isDisabled()).toBe(false);
    await page.getByRole('button', { name: 'Start import' }).click();
    await page.getByRole('status').filter({ hasText: 'Done' }).waitFor({ timeout: 30_000 });
    expect((await t.db.query(`SELECT 1 FROM contacts WHERE email = 'odd@example.com'`)).rowCount).toBe(1);
    expect(browser.problems).toEqual([]);
  });

  it('shows why a file cannot be read beside the file field', async () => {
    const browser = await t.signIn('/imports/new');
    const { page } = browser;
    await page.locator('input[type="file"]').setInputFiles({
      name: 'image.png',
      mimeType: 'image/png',
      buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 1, 2]),
    });
    await page.getByText(/binary/).waitFor();
    expect(await page.getByRole('table', { name: 'First rows of the file' }).count()).toBe(0);
    expect(browser.problems).toEqual([]);
  });
});
