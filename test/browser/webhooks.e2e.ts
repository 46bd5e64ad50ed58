import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSuite, screenshot } from '../support/browser.js';

const HOSTILE = '<img src=x onerror=alert(1)>';

/** The webhooks part of Settings: endpoints added, tested, switched off and deleted through the dashboard. */
describe('the webhooks screen', { timeout: 90_000 }, () => {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  let hookUrl: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  const t = browserSuite({ env: () => ({ HERALD_WEBHOOK_ALLOW_HOSTS: new URL(hookUrl).host }) });
  afterAll(async () => {
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  it('adds an endpoint with its secret shown once, sends it a signed test event, switches it off and deletes it', async () => {
    const browser = await t.signIn('/settings');
    const { page } = browser;
    await page.getByText('No webhook endpoints').waitFor();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a webhook endpoint' });
    // No event type, then a private address: the API's words beside each field.
    await dialog.getByLabel('URL').fill('https://10.1.2.3/hook');
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    // The group of checkboxes is described by the API's message.
    const events = dialog.getByRole('group', { name: 'Events' });
    await expect
      .poll(
        async () => {
          const id = await events.getAttribute('aria-describedby');
          return id ? dialog.locator(`[id="${id}"]`).textContent() : null;
        },
        { timeout: 10_000 },
      )
      .toMatch(/eventTypes must contain at least 1/);
    await dialog.getByRole('checkbox', { name: 'Clicked' }).check();
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    await expect.poll(() => dialog.getByLabel('URL').getAttribute('aria-invalid'), { timeout: 10_000 }).toBe('true');

    await dialog.getByLabel('URL').fill(hookUrl);
    await dialog.getByLabel('Description').fill(HOSTILE);
    await dialog.getByRole('checkbox', { name: 'Unsubscribed' }).check();
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    const shown = page.getByTestId('new-webhook-secret');
    await shown.waitFor();
    const secret = (await shown.textContent()) as string;
    expect(secret).toMatch(/^whsec_/);
    const table = page.getByRole('table', { name: 'Webhook endpoints' });
    const row = table.getByRole('row').filter({ hasText: hookUrl });
    await row.getByText(HOSTILE, { exact: true }).waitFor();
    await row.getByText('clicked', { exact: true }).waitFor();
    await row.getByText('none yet').waitFor();
    const stored = await t.request('GET', '/api/v1/webhooks');
    expect(stored.body.items).toHaveLength(1);
    expect(stored.body.items[0]).toMatchObject({
      url: hookUrl,
      eventTypes: ['clicked', 'unsubscribed'],
      enabled: true,
    });
    expect(JSON.stringify(stored.body)).not.toContain(secret);
    await screenshot(page, 'webhooks-01-added');

    await page.getByRole('button', { name: 'Done' }).click();
    await row.getByRole('button', { name: `Deliveries to ${hookUrl}` }).click();
    const log = page.getByRole('dialog', { name: 'Deliveries' });
    await log.getByText('Nothing delivered yet').waitFor();
    await log.getByRole('button', { name: 'Send a test event' }).click();
    await log.getByText('The test event was delivered (HTTP 204).').waitFor();
    const deliveries = log.getByRole('table', { name: 'Deliveries' });
    await deliveries.getByText('delivered', { exact: true }).waitFor();
    await deliveries.getByText('1 (test)').waitFor();
    // What arrived is signed with the secret the screen showed.
    expect(received).toHaveLength(1);
    const { headers, body } = received[0];
    const expected = createHmac('sha256', secret)
      .update(`${String(headers['herald-timestamp'])}.${body}`)
      .digest('hex');
    expect(headers['herald-signature']).toBe(`v1=${expected}`);
    await screenshot(page, 'webhooks-02-deliveries');
    await page.keyboard.press('Escape');
    await expect.poll(() => log.count(), { timeout: 10_000 }).toBe(0);
    await row.getByText('HTTP 204').waitFor();

    // The switch's input sits under its drawn track: operated as a keyboard user would.
    await row.getByRole('switch', { name: `Send events to ${hookUrl}` }).press('Space');
    await expect
      .poll(async () => (await t.request('GET', '/api/v1/webhooks')).body.items[0].enabled as boolean, {
        timeout: 10_000,
      })
      .toBe(false);
    await expect.poll(() => row.getByRole('switch').isChecked(), { timeout: 10_000 }).toBe(false);

    await row.getByRole('button', { name: `Delete the endpoint ${hookUrl}` }).click();
    await page
      .getByRole('dialog', { name: 'Delete this endpoint?' })
      .getByRole('button', { name: 'Delete endpoint' })
      .click();
    await page.getByText('No webhook endpoints').waitFor();
    expect((await t.request('GET', '/api/v1/webhooks')).body.items).toEqual([]);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(browser.problems).toEqual([]);
  });

  it('is not shown to a member', async () => {
    const member = await t.request('POST', '/api/v1/users', {
      body: { email: 'mo@example.com', role: 'member', password: 'a long enough password 1' },
    });
    expect(member.status).toBe(201);
    const browser = await t.open();
    const { page } = browser;
    await page.goto(`${t.url}/settings`);
    await page.getByLabel('Email').fill('mo@example.com');
    await page.getByLabel(/^Password/).fill('a long enough password 1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Webhooks' }).count()).toBe(0);
    expect(browser.problems).toEqual([]);
  });
});
