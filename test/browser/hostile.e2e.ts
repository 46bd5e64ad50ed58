import { beforeAll, describe, expect, it } from 'vitest';
import { browserSuite, screenshot, signIn } from '../support/browser.js';
import { upload, waitForImport } from '../fixtures/csv/index.js';

const HOSTILE = '<img src=x onerror=alert(1)>';

/**
 * Markup in every value the import, segment, template, suppression and
 * settings screens show: each screen shows it as text and runs none of it.
 */
describe('hostile values on the content screens', { timeout: 90_000 }, () => {
  const ids: Record<string, string> = {};

  const t = browserSuite({ withWorker: true });

  beforeAll(async () => {
    const list = await t.request('POST', '/api/v1/lists', { body: { name: HOSTILE, description: HOSTILE } });
    ids.list = list.body.id;
    const contact = await t.request('POST', '/api/v1/contacts', {
      body: {
        email: 'hostile@example.com',
        firstName: HOSTILE,
        lastName: '<script>alert(2)</script>',
        listIds: [ids.list],
      },
    });
    ids.contact = contact.body.id;
    const segment = await t.request('POST', '/api/v1/segments', {
      body: {
        name: HOSTILE,
        description: HOSTILE,
        rules: { all: [{ field: 'lists', op: 'inAny', value: [ids.list] }] },
      },
    });
    ids.segment = segment.body.id;
    const template = await t.request('POST', '/api/v1/templates', {
      body: {
        name: HOSTILE,
        subject: `${HOSTILE} {{first_name}}`,
        body: `<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{first_name}}</mj-text><mj-text>{{sender.address}} <a href="{{unsubscribe_url}}">Unsubscribe</a></mj-text></mj-column></mj-section></mj-body></mjml>`,
      },
    });
    ids.template = template.body.id;
    await t.request('POST', '/api/v1/suppressions', { body: { email: 'gone@example.com', source: HOSTILE } });
    await t.request('POST', '/api/v1/api-keys', { body: { name: HOSTILE } });
    const imported = await upload(
      t,
      Buffer.from(`email,first_name\nrow@example.com,"${HOSTILE}"\nbad,x\n`),
      {},
      `${HOSTILE}.csv`,
    );
    ids.import = imported.body.id;
    await waitForImport(t, ids.import);
    for (const [name, id] of Object.entries(ids)) expect(id, name).toMatch(/^\d+$/);
  });

  it('shows the markup as text on every screen and runs none of it', async () => {
    const browser = await t.open();
    const { page } = browser;
    const noMarkupRan = async (screen: string) => {
      expect(await page.locator('img[src="x"]').count(), screen).toBe(0);
      expect(await page.locator('main script').count(), screen).toBe(0);
      expect(await page.title(), screen).toBe('Herald');
    };
    await signIn(page, t, '/imports/new');
    await page
      .getByRole('combobox', { name: 'Add to list' })
      .waitFor({ state: 'detached' })
      .catch(() => undefined);
    await page.locator('input[type="file"]').setInputFiles({
      name: `${HOSTILE}.csv`,
      mimeType: 'text/csv',
      buffer: Buffer.from(`${HOSTILE},email\nx,a@example.com\n`),
    });
    await page.getByRole('table', { name: 'First rows of the file' }).getByText(HOSTILE).waitFor();
    await page.getByRole('combobox', { name: 'Add to list' }).click();
    await page.getByRole('option', { name: HOSTILE }).waitFor();
    await page.keyboard.press('Escape');
    await noMarkupRan('import wizard');

    await page.goto(`${t.url}/imports/${ids.import}`);
    await page.getByRole('heading', { name: `Import of ${HOSTILE}.csv` }).waitFor();
    await noMarkupRan('import summary');

    await page.goto(`${t.url}/segments`);
    await page.getByRole('link', { name: HOSTILE }).waitFor();
    // Name and description.
    expect(await page.getByRole('cell', { name: HOSTILE, exact: true }).count()).toBe(2);
    await noMarkupRan('segments');
    await page.getByRole('link', { name: HOSTILE }).click();
    await page.getByRole('heading', { name: HOSTILE }).waitFor();
    await page.getByRole('table', { name: 'Matching contacts' }).getByText(HOSTILE).waitFor();
    await page
      .getByText(HOSTILE)
      .filter({ hasNot: page.locator('input') })
      .first()
      .waitFor();
    await noMarkupRan('segment');
    await screenshot(page, 'hostile-01-segment');

    await page.goto(`${t.url}/templates`);
    await page.getByRole('link', { name: HOSTILE }).waitFor();
    await noMarkupRan('templates');
    await page.getByRole('link', { name: HOSTILE }).click();
    await page.getByRole('heading', { name: HOSTILE }).waitFor();
    await page.getByRole('combobox', { name: 'Preview as' }).fill('hostile');
    await page.getByRole('option', { name: /hostile@example\.com/ }).click();
    await expect.poll(() => page.getByTestId('preview-subject').textContent()).toBe(`${HOSTILE} ${HOSTILE}`);
    const frame = page.frameLocator('iframe[title="Message preview"]');
    await frame.getByText(`Hi ${HOSTILE}`).waitFor();
    expect(await frame.locator('img[src="x"]').count()).toBe(0);
    await noMarkupRan('template');
    await screenshot(page, 'hostile-02-template');

    await page.goto(`${t.url}/suppressions`);
    await page.getByRole('cell', { name: HOSTILE, exact: true }).waitFor();
    await noMarkupRan('suppressions');

    await page.goto(`${t.url}/settings`);
    await page.getByRole('cell', { name: HOSTILE, exact: true }).waitFor();
    await noMarkupRan('settings');

    expect(browser.problems).toEqual([]);
  });
});
