import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSuite, screenshot } from '../support/browser.js';
import { createAudience, createCampaign, createSender, createTemplate, waitForState } from '../support/campaigns.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

const HOSTILE = '<img src=x onerror=alert(1)>';

/** Engagement rules in the segment builder: a campaign chosen by name, within some days, counted live. */
describe('engagement rules in the segment builder', { timeout: 120_000 }, () => {
  let sink: SmtpSink;
  let springId: string;

  const t = browserSuite({ withWorker: true, env: { HERALD_SCHEDULER_TICK_MS: '300' } });

  beforeAll(async () => {
    sink = await startSmtpSink();
    const senderId = await createSender(t, sink.port);
    const templateId = await createTemplate(t);
    const got = await createAudience(t, 'got', 3);
    await createAudience(t, 'missed', 2);
    springId = await createCampaign(t, {
      name: 'Spring sale',
      templateId,
      senderIds: [senderId],
      audience: { listIds: [got.listId] },
    });
    expect((await t.request('POST', `/api/v1/campaigns/${springId}/send`)).status).toBe(200);
    await waitForState(t, springId, 'sent');
    await createCampaign(t, {
      name: 'Autumn news',
      templateId,
      senderIds: [senderId],
      audience: { listIds: [got.listId] },
    });
    await createCampaign(t, { name: HOSTILE, templateId, senderIds: [senderId], audience: { listIds: [got.listId] } });
  });
  afterAll(async () => {
    await sink?.close();
  });

  it('picks a campaign by searching its name, adds "within N days", sees the count, and saves the rule', async () => {
    const browser = await t.signIn('/segments/new');
    const { page } = browser;
    const count = page.getByTestId('segment-count');
    // The count follows the rules after a debounce and a request: on a busy machine, more than a second.
    const countIs = (text: string) => expect.poll(() => count.textContent(), { timeout: 10_000 }).toBe(text);
    await countIs('5 contacts');
    await page.getByRole('button', { name: 'Add condition' }).click();
    await page.getByRole('combobox', { name: 'Condition 1: field' }).click();
    await page.getByRole('option', { name: 'Engagement' }).click();
    expect(await page.getByRole('combobox', { name: 'Condition 1: operator' }).inputValue()).toBe(
      'received a campaign',
    );
    // Any campaign, ever.
    await countIs('3 contacts');

    const campaign = page.getByRole('combobox', { name: 'Condition 1: campaign' });
    await campaign.fill('autumn');
    await page.getByRole('option', { name: 'Autumn news' }).click();
    await countIs('0 contacts');
    // A campaign's name is text in the picker.
    await campaign.fill('img');
    await page.getByRole('option', { name: HOSTILE }).waitFor();
    await campaign.fill('spr');
    await expect.poll(() => page.getByRole('option').count()).toBe(1);
    await page.getByRole('option', { name: 'Spring sale' }).click();
    await countIs('3 contacts');
    await page.getByLabel('Condition 1: within days').fill('7');
    await countIs('3 contacts');
    await page.getByRole('combobox', { name: 'Condition 1: operator' }).click();
    await page.getByRole('option', { name: 'did not open a campaign' }).click();
    // Every engagement operator takes the same value: the campaign and the days stay.
    expect(await campaign.inputValue()).toBe('Spring sale');
    expect(await page.getByLabel('Condition 1: within days').inputValue()).toBe('7');
    await countIs('3 contacts');
    await screenshot(page, 'engagement-01-rule');

    await page.getByLabel('Name').fill('Did not open the spring sale');
    await page.getByRole('button', { name: 'Save segment' }).click();
    await page.getByRole('heading', { name: 'Did not open the spring sale' }).waitFor();
    const segments = await t.request('GET', '/api/v1/segments');
    const saved = await t.request('GET', `/api/v1/segments/${segments.body.items[0].id}`);
    expect(saved.body.rules).toEqual({
      all: [{ field: 'engagement', op: 'notOpened', value: { campaignId: springId, withinDays: 7 } }],
    });

    await page.reload();
    await expect
      .poll(() => page.getByRole('combobox', { name: 'Condition 1: campaign' }).inputValue())
      .toBe('Spring sale');
    expect(await page.getByLabel('Condition 1: within days').inputValue()).toBe('7');
    await countIs('3 contacts');
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(browser.problems).toEqual([]);
  });
});
