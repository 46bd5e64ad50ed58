import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { browserSuite, screenshot, signIn, unlabelledControls } from '../support/browser.js';
import { createSender, createTemplate } from '../support/campaigns.js';

/** Navigation order of the shell (apps/dashboard/src/app/screens.ts), each with the heading its screen shows. */
const SCREENS = [
  'Contacts',
  'Lists',
  'Segments',
  'Templates',
  'Campaigns',
  'Reports',
  'Senders',
  'Suppressions',
  'Sandbox inbox',
  'Settings',
];

// In-page code is given as text: the tests are type-checked without the DOM's types.

/** How far the page itself scrolls sideways; 0 when everything fits the window. */
const sidewaysOverflow = (page: Page) =>
  page.evaluate('document.scrollingElement.scrollWidth - window.innerWidth') as Promise<number>;

/** Evaluates `expression` over the focused element, `el`. */
const onFocused = <T>(page: Page, expression: string) =>
  page.evaluate(`((el) => ${expression})(document.activeElement)`) as Promise<T>;

/** Tab until `matches` (an expression over the focused element `el`) holds, at most `limit` times. */
async function tabTo(page: Page, matches: string, what: string, limit = 40): Promise<void> {
  for (let i = 1; i <= limit; i++) {
    await page.keyboard.press('Tab');
    if (await onFocused<boolean>(page, matches)) return;
  }
  throw new Error(`${what} was not reached in ${limit} presses of Tab`);
}

/** The dashboard on a tablet and by keyboard. */
describe('the dashboard on a tablet and by keyboard', { timeout: 120_000 }, () => {
  let listId: string;

  const t = browserSuite();

  beforeAll(async () => {
    // Enough on every screen for its table to show, with values as long as real ones get.
    const list = await t.request('POST', '/api/v1/lists', {
      body: { name: 'Customers who bought in the spring campaign of last year', description: 'From the web shop' },
    });
    listId = list.body.id;
    // Nowhere to break the first address: its table must scroll within itself rather than widen the page.
    for (const email of [
      'averyveryverylongaddresswithnoplacetobreakitatall@alongcompanydomainwithoutanyhyphen.example',
      'a.very.long.address.of.somebody@a-long-company-domain.example.com',
      'short@example.com',
    ]) {
      const res = await t.request('POST', '/api/v1/contacts', {
        body: { email, firstName: 'Alexandra', lastName: 'Longname-Doublebarrelled', listIds: [listId] },
      });
      expect(res.status, res.text).toBe(201);
    }
    await t.request('POST', '/api/v1/segments', {
      body: { name: 'Engaged customers', rules: { all: [{ field: 'email', op: 'contains', value: 'example' }] } },
    });
    const templateId = await createTemplate(t);
    const senderId = await createSender(t, 2525, { name: 'Main newsletter sender with a long name' });
    const campaign = await t.request('POST', '/api/v1/campaigns', {
      body: { name: 'Spring campaign', templateId, senderIds: [senderId], audience: { listIds: [listId] } },
    });
    expect(campaign.status, campaign.text).toBe(201);
    await t.request('POST', '/api/v1/suppressions', {
      body: { email: 'gone.for.good@a-long-company-domain.example.com', reason: 'complained', source: 'feedback loop' },
    });
  });

  it('at 768×1024 puts the navigation behind the burger and no screen scrolls sideways', async () => {
    const browser = await t.open();
    const { page } = browser;
    await page.setViewportSize({ width: 768, height: 1024 });
    await signIn(page, t, '/contacts');
    const burger = page.getByRole('button', { name: 'Navigation' });
    const nav = page.getByRole('navigation', { name: 'Main' });
    await burger.waitFor();
    // The closed drawer is off-screen and out of the Tab order.
    const offScreen = async () => {
      const box = await nav.boundingBox();
      return box !== null && box.x + box.width <= 0;
    };
    expect(await offScreen()).toBe(true);
    expect(await nav.getAttribute('inert')).not.toBeNull();
    for (const [i, screen] of SCREENS.entries()) {
      await burger.click();
      expect(await burger.getAttribute('aria-expanded')).toBe('true');
      expect(await nav.getAttribute('inert')).toBeNull();
      await nav.getByRole('link', { name: screen, exact: true }).click();
      await page.getByRole('heading', { name: screen, level: 1 }).waitFor();
      // Choosing a screen closes the drawer.
      await expect.poll(() => burger.getAttribute('aria-expanded'), { timeout: 10_000 }).toBe('false');
      await expect.poll(offScreen, { timeout: 10_000 }).toBe(true);
      await page.waitForLoadState('networkidle');
      expect(await sidewaysOverflow(page), screen).toBeLessThanOrEqual(0);
      if (screen === 'Contacts') {
        // The table that does not fit scrolls sideways inside its own box.
        const tableScrolls = await page.evaluate(`(() => {
          for (let box = document.querySelector('table').parentElement; box !== null; box = box.parentElement) {
            if (box.scrollWidth > box.clientWidth && /auto|scroll/.test(getComputedStyle(box).overflowX)) return true;
          }
          return false;
        })()`);
        expect(tableScrolls).toBe(true);
      }
      await screenshot(page, `tablet-${String(i + 1).padStart(2, '0')}-${screen.toLowerCase().replace(/ /g, '-')}`);
    }
    // Screens reached from others, with wider content.
    for (const [path, heading] of [
      [`/lists/${listId}`, 'Customers who bought in the spring campaign of last year'],
      ['/segments/new', 'New segment'],
      ['/campaigns/new', 'New campaign'],
    ]) {
      await page.goto(t.url + path);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await page.waitForLoadState('networkidle');
      expect(await sidewaysOverflow(page), path).toBeLessThanOrEqual(0);
    }
    expect(browser.problems).toEqual([]);
  });

  it('signs in, reaches Contacts, opens and closes a dialog with the keyboard alone; every control has a name', async () => {
    const browser = await t.open();
    const { page } = browser;
    await page.goto(t.url + '/contacts');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await tabTo(page, `el.getAttribute('type') === 'email'`, 'the email field');
    await page.keyboard.type(t.adminEmail);
    await page.keyboard.press('Tab');
    await page.keyboard.type(t.adminPassword);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Main' }).waitFor();

    // The first Tab offers the skip link, drawn on top once focused.
    await page.keyboard.press('Tab');
    const focused = () => onFocused<string>(page, "el?.textContent?.trim() ?? ''");
    expect(await focused()).toBe('Skip to content');
    expect(await page.getByRole('link', { name: 'Skip to content' }).isVisible()).toBe(true);
    await page.keyboard.press('Enter');
    expect(await onFocused(page, 'el?.id')).toBe('main');

    // Back to the navigation: Shift+Tab leaves the screen towards it.
    await page.goto(t.url + '/lists');
    await page.getByRole('heading', { name: 'Lists', level: 1 }).waitFor();
    await tabTo(
      page,
      `el.closest('nav') !== null && el.textContent.trim() === 'Contacts'`,
      'the Contacts link in the navigation',
    );
    // Focus is visible where the keyboard is.
    const outline = await onFocused(page, 'getComputedStyle(el).outlineStyle');
    expect(outline).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Contacts', level: 1 }).waitFor();

    await tabTo(page, `el.textContent.trim() === 'Add contact'`, 'the Add contact button');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Add a contact' });
    await dialog.waitFor();
    const inDialog = () => onFocused<boolean>(page, `el?.closest('[role="dialog"]') != null`);
    await expect.poll(inDialog, { timeout: 10_000 }).toBe(true);
    // Focus stays inside the dialog however far one tabs.
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press('Tab');
      expect(await inDialog()).toBe(true);
    }
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, 'keyboard-01-dialog');
    // Escape in an open list (the Lists picker opens on focus) closes that list first, as comboboxes do; from a
    // text field it closes the dialog.
    await tabTo(page, `el.getAttribute('type') === 'email'`, 'the email field of the dialog');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count(), { timeout: 10_000 }).toBe(0);
    // And returns to what opened it.
    expect(await focused()).toBe('Add contact');
    expect(await unlabelledControls(page)).toEqual([]);

    // Forms of other screens: the segment builder with a condition, a list's sign-up form, the webhook form.
    await page.goto(t.url + '/segments/new');
    await page.getByRole('button', { name: 'Add condition' }).click();
    await page.getByRole('combobox', { name: 'Condition 1: field' }).click();
    await page.getByRole('option', { name: 'Engagement' }).click();
    await page.getByRole('combobox', { name: 'Condition 1: campaign' }).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await page.goto(`${t.url}/lists/${listId}`);
    await page.getByLabel('HTML snippet').waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await page.goto(`${t.url}/settings`);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByRole('dialog', { name: 'Add a webhook endpoint' }).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    // The check itself finds a control nobody named.
    await page.evaluate(`document.body.append(Object.assign(document.createElement('input'), { id: 'nameless' }))`);
    expect(await unlabelledControls(page)).toEqual(['<input id="nameless">']);
    await page.keyboard.press('Escape');
    expect(browser.problems).toEqual([]);
  });
});
