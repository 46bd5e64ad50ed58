import { describe, expect, it } from 'vitest';
import { browserSuite, screenshot } from '../support/browser.js';

const HOSTILE = '<img src=x onerror=alert(1)>';

describe('suppressions and settings', { timeout: 90_000 }, () => {
  const t = browserSuite();

  it('lists, finds, adds and lifts suppressions, with the API errors beside the field', async () => {
    const existing = await t.request('POST', '/api/v1/suppressions', {
      body: { email: 'gone@example.com', reason: 'complained', source: HOSTILE },
    });
    expect(existing.status).toBe(201);
    const browser = await t.signIn('/contacts');
    const { page } = browser;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Suppressions' }).click();
    await page.getByRole('cell', { name: 'gone@example.com', exact: true }).waitFor();
    await page.getByRole('cell', { name: HOSTILE, exact: true }).waitFor();

    await page.getByRole('button', { name: 'Suppress an address' }).click();
    const dialog = page.getByRole('dialog', { name: 'Suppress an address' });
    await dialog.getByLabel('Email').fill('someone@example');
    await dialog.getByRole('button', { name: 'Suppress' }).click();
    await expect.poll(async () => dialog.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    await dialog.getByLabel('Email').fill('asked@example.com');
    await dialog.getByLabel('Source').fill('support ticket 7');
    await dialog.getByRole('button', { name: 'Suppress' }).click();
    await page.getByRole('cell', { name: 'asked@example.com', exact: true }).waitFor();
    await screenshot(page, 'settings-01-suppressions');

    await page.getByLabel('Find an address').fill('ASKED@example.com');
    await expect.poll(() => page.getByRole('cell', { name: 'gone@example.com', exact: true }).count()).toBe(0);
    await page.getByRole('cell', { name: 'asked@example.com', exact: true }).waitFor();
    await page.getByLabel('Find an address').fill('nobody@example.com');
    await page.getByText('Not suppressed').waitFor();
    await page.getByLabel('Find an address').fill('');

    await page.getByRole('button', { name: 'Lift the suppression of asked@example.com' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Lift suppression' }).click();
    await expect.poll(() => page.getByRole('cell', { name: 'asked@example.com', exact: true }).count()).toBe(0);
    const left = await t.request('GET', '/api/v1/suppressions?email=asked@example.com');
    expect(left.body.items).toEqual([]);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(browser.problems).toEqual([]);
  });

  it('creates an API key shown once, lists it without the key, and revokes it', async () => {
    const browser = await t.signIn('/settings');
    const { page } = browser;
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByLabel('Key name').fill(HOSTILE);
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByTestId('new-api-key');
    await shown.waitFor();
    const key = (await shown.textContent()) as string;
    expect(key).toMatch(/^hk_/);
    const me = await fetch(`${t.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${key}` } });
    expect(me.status).toBe(200);
    await page.getByRole('table', { name: 'API keys' }).getByRole('cell', { name: HOSTILE, exact: true }).waitFor();
    await screenshot(page, 'settings-02-api-key');

    await page.getByRole('button', { name: 'Done' }).click();
    await page.reload();
    await page.getByRole('table', { name: 'API keys' }).waitFor();
    expect(await page.content()).not.toContain(key);
    await page.getByRole('button', { name: `Revoke the key ${HOSTILE}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await expect
      .poll(() =>
        page.getByRole('table', { name: 'API keys' }).getByRole('cell', { name: HOSTILE, exact: true }).count(),
      )
      .toBe(0);
    const refused = await fetch(`${t.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${key}` } });
    expect(refused.status).toBe(401);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(browser.problems).toEqual([]);
  });

  it('lets an admin invite and deactivate users, and shows a member only their keys', async () => {
    const browser = await t.signIn('/settings');
    const { page } = browser;
    await page.getByRole('button', { name: 'Invite a user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Invite a user' });
    await dialog.getByLabel('Email').fill('ann@example.com');
    await dialog.getByRole('button', { name: 'Invite' }).click();
    const link = page.getByTestId('invite-link');
    await link.waitFor();
    expect(await link.textContent()).toMatch(/#token=/);
    const users = page.getByRole('table', { name: 'Users' });
    const ann = users.getByRole('row').filter({ hasText: 'ann@example.com' });
    await ann.getByText('invited').waitFor();
    // The admin cannot lock themselves out from here.
    expect(await users.getByRole('button', { name: `Deactivate ${t.adminEmail}` }).count()).toBe(0);
    await ann.getByRole('button', { name: 'Deactivate ann@example.com' }).click();
    await ann.getByText('deactivated').waitFor();
    await screenshot(page, 'settings-03-users');
    const list = await t.request('GET', '/api/v1/users');
    expect(list.body.items.find((u: { email: string }) => u.email === 'ann@example.com').active).toBe(false);
    expect(browser.problems).toEqual([]);
    await browser.close();

    const member = await t.request('POST', '/api/v1/users', {
      body: { email: 'mia@example.com', role: 'member', password: 'a long enough password 1' },
    });
    expect(member.status).toBe(201);
    const asMember = await t.open();
    await asMember.page.goto(`${t.url}/settings`);
    await asMember.page.getByLabel('Email').fill('mia@example.com');
    await asMember.page.getByLabel(/^Password/).fill('a long enough password 1');
    await asMember.page.getByRole('button', { name: 'Sign in' }).click();
    await asMember.page.getByRole('heading', { name: 'API keys' }).waitFor();
    expect(await asMember.page.getByRole('heading', { name: 'Users' }).count()).toBe(0);
    expect(asMember.problems).toEqual([]);
  });
});
