import { describe, expect, it } from 'vitest';
import { browserSuite, screenshot } from '../support/browser.js';

const HOSTILE = '<img src=x onerror=alert(1)>';

/** The dashboard in Chromium, served by the api at `/`, talking only to the public API. */
describe('the dashboard', { timeout: 90_000 }, () => {
  const t = browserSuite();

  it('signs in, refusing a wrong password beside the form, and signs out', async () => {
    const browser = await t.open();
    const { page } = browser;
    await page.goto(t.url + '/contacts');
    await page.getByLabel('Email').fill(t.adminEmail);
    await page.getByLabel(/^Password/).fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/wrong|incorrect|invalid/i);

    await page.getByLabel(/^Password/).fill(t.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Contacts', exact: true }).waitFor();
    await page.getByText('No contacts yet').waitFor();
    await screenshot(page, 'dashboard-01-signed-in-empty');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const me = await page.evaluate(() => fetch('/api/v1/auth/me').then((r) => r.status));
    expect(me).toBe(401);
    expect(browser.problems).toEqual([]);
  });

  it('opens a screen by its address after signing in, and keeps API and recipient paths out of the dashboard', async () => {
    const created = await t.request('POST', '/api/v1/contacts', { body: { email: 'deep@example.com' } });
    expect(created.status).toBe(201);
    const browser = await t.signIn(`/contacts/${created.body.id}`);
    const { page } = browser;
    await page.getByRole('heading', { name: 'deep@example.com' }).waitFor();

    const api = await fetch(`${t.url}/api/v1/no-such-thing`);
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('json');
    const health = await fetch(`${t.url}/health`);
    expect(health.headers.get('content-type')).toContain('json');
    const screen = await fetch(`${t.url}/lists`);
    expect(screen.status).toBe(200);
    expect(screen.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await screen.text()).toContain('<div id="root"></div>');
  });

  it('adds a contact with the errors the API names shown beside their field, then finds it by search and list', async () => {
    const list = await t.request('POST', '/api/v1/lists', { body: { name: 'Customers' } });
    const browser = await t.signIn();
    const { page } = browser;
    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('button', { name: 'Add contact' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a contact' });
    await dialog.getByLabel('Email').fill('not-an-address');
    await dialog.getByRole('button', { name: 'Add contact' }).click();
    // The browser's own check would stop an obviously bad address; the API's words must show beside the field.
    await expect.poll(() => dialog.getByLabel('Email').evaluate((el) => el.matches(':invalid'))).toBe(true);
    await dialog.getByLabel('Email').fill('jane@example');
    await dialog.getByRole('button', { name: 'Add contact' }).click();
    await expect
      .poll(async () => (await dialog.getByLabel('Email').getAttribute('aria-invalid')) === 'true')
      .toBe(true);
    await dialog.getByLabel('Email').fill('jane@example.com');
    await dialog.getByLabel('First name').fill('Jane');
    await dialog.getByLabel('Lists').click();
    await page.getByRole('option', { name: 'Customers' }).click();
    await page.keyboard.press('Escape');
    await dialog.getByRole('button', { name: 'Add contact' }).click();
    await page.getByRole('heading', { name: 'jane@example.com' }).waitFor();
    await page.getByText('Customers').waitFor();
    await screenshot(page, 'dashboard-02-contact');

    await page.getByRole('link', { name: '← Contacts' }).click();
    await page.getByLabel('Search').fill('jane');
    await page.getByRole('link', { name: 'jane@example.com' }).waitFor();
    await page.goto(`${t.url}/contacts?listId=${list.body.id}`);
    await page.getByRole('link', { name: 'jane@example.com' }).waitFor();
    expect(await page.getByRole('link', { name: 'deep@example.com' }).count()).toBe(0);
    expect(browser.problems).toEqual([]);
  });

  it('pages through contacts with cursors', async () => {
    for (let i = 0; i < 55; i++) {
      const res = await t.request('POST', '/api/v1/contacts', {
        body: { email: `page${String(i).padStart(2, '0')}@example.com` },
      });
      expect(res.status).toBe(201);
    }
    const browser = await t.signIn();
    const { page } = browser;
    // The search is debounced: before its answer the unfiltered first page shows, and Next would page that.
    const searched = page.waitForResponse((r) => r.url().includes('/api/v1/contacts?') && r.url().includes('q=page'));
    await page.getByLabel('Search').fill('page');
    await searched;
    await expect.poll(() => page.getByRole('link', { name: /^page\d\d@example\.com$/ }).count()).toBe(50);
    await page.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => page.getByRole('link', { name: /^page\d\d@example\.com$/ }).count()).toBe(5);
    expect(await page.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Previous' }).click();
    await expect.poll(() => page.getByRole('link', { name: /^page\d\d@example\.com$/ }).count()).toBe(50);
  });

  it('shows a contact whose name and attributes hold markup as text, and runs none of it', async () => {
    await t.request('POST', '/api/v1/fields', { body: { name: 'note', type: 'text' } });
    const created = await t.request('POST', '/api/v1/contacts', {
      body: {
        email: 'hostile@example.com',
        firstName: HOSTILE,
        lastName: '<script>alert(2)</script>',
        attributes: { note: HOSTILE },
      },
    });
    expect(created.status).toBe(201);
    const list = await t.request('POST', '/api/v1/lists', { body: { name: HOSTILE } });
    await t.request('POST', `/api/v1/lists/${list.body.id}/contacts`, { body: { contactIds: [created.body.id] } });
    const browser = await t.signIn();
    const { page } = browser;
    await page.getByLabel('Search').fill('hostile');
    await page.getByText(HOSTILE).first().waitFor();
    await page.getByRole('link', { name: 'Lists' }).click();
    await page.getByRole('heading', { name: 'Lists' }).waitFor();
    await page.getByRole('cell', { name: HOSTILE, exact: true }).waitFor();
    await page.goto(`${t.url}/contacts/${created.body.id}`);
    await page.getByRole('heading', { name: 'hostile@example.com' }).waitFor();
    expect(await page.getByText(HOSTILE).count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await screenshot(page, 'dashboard-03-hostile-contact');
    expect(browser.problems).toEqual([]);
  });
});
