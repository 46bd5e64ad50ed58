import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { browserSuite, screenshot } from '../support/browser.js';
import { until } from '../support/campaigns.js';

const CHROME_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';

/**
 * The whole path a new user takes, in the browser, with the app's worker
 * sending: a list and a contact, a starter template, a campaign to the
 * sandbox inbox, its test, the send, its progress to sent, its report and
 * the message in the sandbox inbox.
 */
describe('sending a first campaign from the dashboard', { timeout: 180_000 }, () => {
  const t = browserSuite({ withWorker: true, env: { HERALD_SCHEDULER_TICK_MS: '500' } });

  it('creates, tests and sends a campaign to the sandbox inbox, then reads its report and the message', async () => {
    const list = await t.request('POST', '/api/v1/lists', { body: { name: 'Readers' } });
    const contact = await t.request('POST', '/api/v1/contacts', {
      body: { email: 'reader@example.com', firstName: 'Robin', status: 'subscribed', listIds: [list.body.id] },
    });
    expect(contact.status, contact.text).toBe(201);

    const browser = await t.signIn('/campaigns');
    const { page } = browser;
    await page.getByText('No campaigns yet').waitFor();
    await screenshot(page, 'flow-01-no-campaigns');
    await page.getByRole('link', { name: 'Create a campaign' }).click();

    // Audience: a missing choice is said beside its field before anything is saved.
    await page.getByRole('heading', { name: 'New campaign' }).waitFor();
    await page.getByRole('button', { name: 'Save and continue' }).click();
    await page.getByText('Choose lists or a segment').waitFor();
    await page.getByLabel('Campaign name').fill('First letter');
    await page.getByRole('combobox', { name: 'Lists' }).click();
    await page.getByRole('option', { name: /^Readers/ }).click();
    await page.keyboard.press('Escape');
    await screenshot(page, 'flow-02-audience');
    await page.getByRole('button', { name: 'Save and continue' }).click();
    await page.getByText('can be mailed now').waitFor();
    expect(await page.getByText(/^1$/).count()).toBeGreaterThan(0);

    // Template: a starter, with its preview.
    await page
      .getByRole('textbox', { name: 'Template' })
      .or(page.getByRole('combobox', { name: 'Template' }))
      .first()
      .click();
    await page.getByRole('option', { name: 'Plain letter (starter)' }).click();
    await page.frameLocator('iframe[title="Template preview"]').getByText('Warmly').waitFor();
    await screenshot(page, 'flow-03-template');
    await page.getByRole('button', { name: 'Save and continue' }).click();

    // Senders: none chosen means the sandbox inbox, which the form then shows.
    await page.getByText('Manage senders').waitFor();
    await page.getByRole('button', { name: 'Save and continue' }).click();
    await page.getByLabel('Subject').fill('Hello {{default first_name "there"}}, a first letter');
    await page.getByLabel('Preheader').fill('Short and useful');
    await page.getByRole('button', { name: 'Save and continue' }).click();

    // Schedule: now.
    await page.getByRole('radio', { name: 'Send now' }).waitFor();
    expect(await page.getByRole('radio', { name: 'Send now' }).isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Continue' }).click();

    // Test send.
    await page.getByRole('combobox', { name: 'Test addresses' }).fill('me@example.com');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Send test' }).click();
    const results = page.getByRole('list', { name: 'Test results' });
    await results.getByText('sent').waitFor({ timeout: 20_000 });
    await screenshot(page, 'flow-04-test-sent');
    // A test address is no contact: the subject falls back to its default.
    const tests = await t.request('GET', '/api/v1/sandbox/messages?to=me@example.com');
    expect(tests.body.items[0].subject).toBe('[Test] Hello there, a first letter');
    await page.getByRole('button', { name: 'Continue' }).click();

    // The checklist, then the send.
    const checklist = page.getByRole('region', { name: 'Pre-flight checklist' });
    await checklist.getByText('1 contact can be mailed now.').waitFor();
    await checklist.getByText(/Unsubscribe link/).waitFor();
    await checklist.getByText(/Gmail clips above 102 KB/).waitFor();
    await checklist.getByText(/no daily limit/).waitFor();
    await checklist.getByText(/sandbox sender delivers into Herald's own inbox/).waitFor();
    await screenshot(page, 'flow-05-checklist');
    await page.getByRole('button', { name: 'Send now' }).click();
    await page
      .getByRole('dialog', { name: 'Send this campaign now?' })
      .getByRole('button', { name: 'Send now' })
      .click();

    // Progress until sent.
    await page.getByRole('heading', { name: 'First letter' }).waitFor();
    await page.getByText('sent', { exact: true }).first().waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByLabel('Sent', { exact: true }).textContent(), { timeout: 20_000 }).toBe('1');
    await screenshot(page, 'flow-06-sent');
    const campaignId = page.url().split('/').pop()!;

    // The recipient opens the message: its pixel, fetched the way a mail client would.
    const inbox = await t.request('GET', '/api/v1/sandbox/messages?to=reader@example.com');
    expect(inbox.body.items).toHaveLength(1);
    const message = await t.request('GET', `/api/v1/sandbox/messages/${inbox.body.items[0].id}`);
    const pixel = /\/t\/o\/[A-Za-z0-9_.-]+/.exec(message.body.html)?.[0];
    expect(pixel).toBeDefined();
    expect((await fetch(t.url + pixel, { headers: { 'user-agent': CHROME_UA } })).status).toBe(200);
    await until(
      () => t.request('GET', `/api/v1/campaigns/${campaignId}/report`),
      (r) => r.body.uniqueOpens.human.count === 1,
    );

    // The report.
    await page.getByRole('link', { name: 'Open report' }).click();
    await page.getByRole('heading', { name: 'Report: First letter' }).waitFor();
    await page.getByRole('img', { name: 'Opens and clicks per hour' }).locator('canvas').waitFor();
    await page.getByLabel('Opened: 100.0 %').waitFor();
    await page.getByRole('table', { name: 'Recipient domains' }).getByText('example.com').waitFor();
    await page.getByRole('table', { name: 'Links' }).or(page.getByText('no tracked links')).first().waitFor();
    await screenshot(page, 'flow-07-report');
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download activity (CSV)' }).click();
    const csv = await readFile((await (await download).path())!, 'utf8');
    expect(csv.split('\n')[0]).toContain('email');
    expect(csv).toContain('reader@example.com');
    await page.getByRole('link', { name: 'Reports' }).click();
    await page.getByRole('link', { name: 'First letter' }).waitFor();

    // The message in the sandbox inbox.
    await page.getByRole('link', { name: 'Sandbox inbox' }).click();
    const messages = page.getByRole('list', { name: 'Messages' });
    await messages.getByText('Hello Robin, a first letter', { exact: true }).click();
    await page.getByRole('heading', { name: 'Hello Robin, a first letter' }).waitFor();
    await page.frameLocator('iframe[title="Message"]').getByText('Hi Robin,').waitFor();
    await screenshot(page, 'flow-08-sandbox-message');

    // The recipient's own page: what they were sent and what they did.
    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.getByLabel('Search').fill('reader');
    await page.getByRole('link', { name: 'reader@example.com' }).click();
    await page.getByRole('heading', { name: 'Activity' }).waitFor();
    await page.getByRole('link', { name: 'First letter' }).waitFor();
    await page.getByText(/^Opened /).waitFor();
    await screenshot(page, 'flow-09-contact-activity');
    expect(browser.problems).toEqual([]);
  });
});
