import { beforeAll, describe, expect, it } from 'vitest';
import { browserSuite, screenshot } from '../support/browser.js';
import { createTemplate } from '../support/campaigns.js';

const HOSTILE = '<img src=x onerror=alert(1)>';

/** Campaign screens without a worker: nothing is sent, so states move only by what the page and the test do. */
describe('the campaign screens', { timeout: 90_000 }, () => {
  let templateId: string;
  let listId: string;

  const t = browserSuite();

  beforeAll(async () => {
    templateId = await createTemplate(t);
    listId = (await t.request('POST', '/api/v1/lists', { body: { name: 'Everyone' } })).body.id;
    await t.request('POST', '/api/v1/contacts', { body: { email: 'a@example.com', listIds: [listId] } });
  });

  const create = async (name: string) => {
    const res = await t.request('POST', '/api/v1/campaigns', {
      body: { name, templateId, audience: { listIds: [listId] } },
    });
    expect(res.status, res.text).toBe(201);
    return res.body.id as string;
  };

  it('lists campaigns with their state, and shows a hostile name as text', async () => {
    const hostile = await create(HOSTILE);
    const scheduled = await create('Scheduled one');
    const at = await t.request('POST', `/api/v1/campaigns/${scheduled}/schedule`, {
      body: { at: '2099-01-01T09:00', timeZone: 'Europe/Berlin' },
    });
    expect(at.status, at.text).toBe(200);
    const browser = await t.signIn('/campaigns');
    const { page } = browser;
    const row = (name: string) => page.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });
    await row(HOSTILE).getByText('draft', { exact: true }).waitFor();
    await row('Scheduled one').getByText('scheduled', { exact: true }).waitFor();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await screenshot(page, 'campaigns-01-list');
    await page.getByRole('link', { name: HOSTILE }).click();
    await page.getByRole('heading', { name: HOSTILE }).waitFor();
    await page.getByRole('link', { name: '← Campaigns' }).click();
    await page.getByRole('combobox', { name: 'State' }).click();
    await page.getByRole('option', { name: 'scheduled' }).click();
    await expect.poll(() => page.getByRole('link', { name: HOSTILE }).count()).toBe(0);
    await page.getByRole('link', { name: 'Scheduled one' }).waitFor();
    await page.goto(`${t.url}/campaigns/${hostile}`);
    await page.getByRole('heading', { name: HOSTILE }).waitFor();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(browser.problems).toEqual([]);
    await t.request('DELETE', `/api/v1/campaigns/${hostile}`);
    await t.request('DELETE', `/api/v1/campaigns/${scheduled}`);
  });

  it('pauses, resumes and duplicates, and says in words why an action is refused', async () => {
    const id = await create('Busy campaign');
    expect((await t.request('POST', `/api/v1/campaigns/${id}/send`)).status).toBe(200);
    const browser = await t.signIn(`/campaigns/${id}`);
    const { page } = browser;
    await page.getByRole('heading', { name: 'Busy campaign' }).waitFor();
    await page.getByText('sending', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByText('paused', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByText('sending', { exact: true }).waitFor();
    await page.getByLabel('Sent', { exact: true }).waitFor();
    await screenshot(page, 'campaigns-02-sending');

    // Someone else cancels it meanwhile: the page's pause is refused with the reason.
    expect((await t.request('POST', `/api/v1/campaigns/${id}/cancel`)).status).toBe(200);
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toMatch(/Cannot pause a campaign that is cancelled; allowed now: .*duplicate/);
    await page.getByText('cancelled', { exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Pause' }).count()).toBe(0);
    await screenshot(page, 'campaigns-03-refused');

    await page.getByRole('button', { name: 'Duplicate' }).click();
    await page.getByRole('heading', { name: 'Busy campaign (copy)' }).waitFor();
    await page.getByText('draft', { exact: true }).waitFor();
    expect(browser.problems).toEqual([]);
  });

  it('schedules a draft in a time zone, with a time in the past refused beside the date', async () => {
    const id = await create('Later');
    const browser = await t.signIn(`/campaigns/${id}`);
    const { page } = browser;
    await page.getByRole('link', { name: 'Continue to check and send' }).click();
    await page.getByRole('heading', { name: 'Edit Later' }).waitFor();
    // Each step saves the draft and opens the next, known by its own field.
    for (const next of [
      page.getByRole('combobox', { name: 'Template' }),
      page.getByRole('link', { name: 'Manage senders' }),
      page.getByLabel('Preheader'),
      page.getByRole('radio', { name: 'Send now' }),
    ]) {
      await page.getByRole('button', { name: 'Save and continue' }).click();
      await next.waitFor();
    }
    await page.getByRole('radio', { name: 'Schedule' }).check();
    await page.getByLabel('Date').fill('2020-01-01');
    await page.locator('input[type="time"]').fill('08:30');
    await page.getByRole('combobox', { name: 'Time zone' }).fill('America/New_York');
    await page.getByRole('option', { name: 'America/New_York' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('region', { name: 'Pre-flight checklist' }).waitFor();
    await page.getByRole('button', { name: 'Schedule campaign' }).click();
    await page
      .getByRole('dialog', { name: 'Schedule this campaign?' })
      .getByRole('button', { name: 'Schedule campaign' })
      .click();
    // Back on the schedule step, the API's words beside the date.
    await expect.poll(async () => page.getByLabel('Date').getAttribute('aria-invalid')).toBe('true');
    await page.getByText('is in the past').waitFor();
    await screenshot(page, 'campaigns-04-past-date');

    await page.getByLabel('Date').fill('2099-06-01');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Schedule campaign' }).click();
    await page
      .getByRole('dialog', { name: 'Schedule this campaign?' })
      .getByRole('button', { name: 'Schedule campaign' })
      .click();
    await page.getByText('scheduled', { exact: true }).waitFor();
    await page.getByText('for 2099-06-01 08:30 (America/New_York)').waitFor();
    const saved = await t.request('GET', `/api/v1/campaigns/${id}`);
    expect(saved.body).toMatchObject({
      state: 'scheduled',
      sendAtLocal: '2099-06-01T08:30',
      timeZone: 'America/New_York',
    });
    await screenshot(page, 'campaigns-05-scheduled');
    expect(browser.problems).toEqual([]);
  });
});
