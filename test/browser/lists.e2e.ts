import { describe, expect, it } from 'vitest';
import { browserSuite, screenshot } from '../support/browser.js';
import { createSender } from '../support/campaigns.js';

const HOSTILE = '<img src=x onerror=alert(1)>';

/** A list's own screen: its contacts and its sign-up form settings, with the snippet to embed shown as text. */
describe('a list and its sign-up form', { timeout: 90_000 }, () => {
  const t = browserSuite();

  it('changes the form settings with the API errors beside their fields, and shows the snippet as text to copy', async () => {
    const list = await t.request('POST', '/api/v1/lists', { body: { name: HOSTILE, description: 'From the website' } });
    expect(list.status).toBe(201);
    const listId = list.body.id as string;
    await t.request('POST', '/api/v1/contacts', { body: { email: 'first@example.com', listIds: [listId] } });
    const senderId = await createSender(t, 2525, { name: 'Newsletter sender' });

    const browser = await t.signIn('/lists');
    const { page } = browser;
    await page.getByRole('link', { name: HOSTILE, exact: true }).click();
    await page.getByRole('heading', { name: HOSTILE, level: 1 }).waitFor();
    await page.getByRole('link', { name: '1 contact' }).waitFor();
    const snippet = page.getByLabel('HTML snippet');
    await snippet.waitFor();
    expect(await snippet.inputValue()).toContain(`/subscribe/${listId}`);

    // Taking sign-ups needs a sender; a redirect must be https: each refusal beside its field.
    await page.getByRole('switch', { name: 'Take sign-ups' }).press('Space');
    await page.getByRole('button', { name: 'Save form' }).click();
    await expect
      .poll(() => page.getByRole('combobox', { name: 'Sender of confirmation mails' }).getAttribute('aria-invalid'), {
        timeout: 10_000,
      })
      .toBe('true');
    await page.getByText('required to enable the form').waitFor();
    await page.getByRole('combobox', { name: 'Sender of confirmation mails' }).click();
    await page.getByRole('option', { name: /^Newsletter sender/ }).click();
    await page.getByLabel('After signing up, go to').fill('http://www.example.com/thanks');
    await page.getByRole('button', { name: 'Save form' }).click();
    await expect
      .poll(() => page.getByLabel('After signing up, go to').getAttribute('aria-invalid'), { timeout: 10_000 })
      .toBe('true');
    await page.getByText('must be an https URL').waitFor();

    await page.getByLabel('After signing up, go to').fill('https://www.example.com/thanks');
    await page.getByRole('switch', { name: 'Double opt-in' }).press('Space');
    await page.getByLabel('Consent wording').fill(`I agree ${HOSTILE}`);
    await page.getByLabel('Wording version').fill('2026-11');
    await page.getByRole('button', { name: 'Save form' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const stored = await t.request('GET', `/api/v1/lists/${listId}/form`);
    expect(stored.body).toMatchObject({
      enabled: true,
      doubleOptIn: false,
      senderId,
      successUrl: 'https://www.example.com/thanks',
      confirmedUrl: null,
      consentText: `I agree ${HOSTILE}`,
      consentVersion: '2026-11',
    });

    // The snippet is the API's, read-only and shown as text: its form is not part of the page.
    await expect.poll(() => snippet.inputValue(), { timeout: 10_000 }).toBe(stored.body.snippet);
    expect(await snippet.inputValue()).toContain('I agree &lt;img src=x onerror=alert(1)&gt;');
    expect(await snippet.getAttribute('readonly')).not.toBeNull();
    expect(await page.locator('form[action*="/subscribe/"]').count()).toBe(0);
    expect(await page.locator('input[name="company_website"]').count()).toBe(0);
    await page.getByRole('button', { name: 'Copy HTML' }).waitFor();
    await screenshot(page, 'lists-01-signup-form');

    // After a reload the screen shows what is stored.
    await page.reload();
    await expect
      .poll(() => page.getByLabel('Consent wording').inputValue(), { timeout: 10_000 })
      .toBe(`I agree ${HOSTILE}`);
    expect(await page.getByRole('switch', { name: 'Double opt-in' }).isChecked()).toBe(false);
    expect(await page.getByRole('switch', { name: 'Take sign-ups' }).isChecked()).toBe(true);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(browser.problems).toEqual([]);
  });
});
