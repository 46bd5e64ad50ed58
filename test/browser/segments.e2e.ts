import { beforeAll, describe, expect, it } from 'vitest';
import { browserSuite, screenshot } from '../support/browser.js';

const HOSTILE = '<img src=x onerror=alert(1)>';

describe('the segment builder', { timeout: 90_000 }, () => {
  let listId: string;

  const t = browserSuite();

  beforeAll(async () => {
    await t.request('POST', '/api/v1/fields', { body: { name: 'plan', type: 'text' } });
    await t.request('POST', '/api/v1/fields', { body: { name: 'score', type: 'number' } });
    const list = await t.request('POST', '/api/v1/lists', { body: { name: HOSTILE } });
    listId = list.body.id;
    const people: [string, string | null, string, number, boolean][] = [
      ['ann@example.com', 'Ann', 'gold', 9, true],
      ['bob@example.com', 'Bob', 'gold', 3, false],
      ['cat@example.com', 'Cat', 'silver', 7, true],
      ['dan@example.com', 'Dan', 'silver', 1, false],
      ['hostile@example.com', HOSTILE, 'gold', 5, false],
    ];
    for (const [email, firstName, plan, score, listed] of people) {
      const res = await t.request('POST', '/api/v1/contacts', {
        body: { email, firstName, attributes: { plan, score }, listIds: listed ? [listId] : [] },
      });
      expect(res.status).toBe(201);
    }
  });

  it('builds nested rules and sees the count change, names the rule at fault, then saves, edits and deletes', async () => {
    const browser = await t.signIn('/contacts');
    const { page } = browser;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Segments' }).click();
    await page.getByText('No segments yet').waitFor();
    await page.getByRole('link', { name: 'Build a segment' }).click();
    const count = page.getByTestId('segment-count');
    // No conditions: everyone.
    await expect.poll(() => count.textContent()).toBe('5 contacts');

    await page.getByRole('button', { name: 'Add condition' }).click();
    // A new condition tests the email with an empty value: the API's words show beside it.
    await page.getByRole('group', { name: 'Condition 1' }).getByText('must not be empty').waitFor();
    await page.getByRole('combobox', { name: 'Condition 1: field' }).click();
    await page.getByRole('option', { name: 'plan' }).click();
    expect(await page.getByRole('combobox', { name: 'Condition 1: operator' }).inputValue()).toBe('is');
    await page.getByLabel('Condition 1: value').fill('gold');
    await expect.poll(() => count.textContent()).toBe('3 contacts');
    const matches = page.getByRole('table', { name: 'Matching contacts' });
    await matches.getByText(HOSTILE).waitFor();

    // And any of: score above 4, or in the list.
    await page.getByRole('button', { name: 'Add group' }).first().click();
    const group = page.getByRole('group', { name: 'Group 2' });
    await group.getByRole('combobox', { name: 'Group 2 condition 1: field' }).click();
    await page.getByRole('option', { name: 'score' }).click();
    await group.getByRole('combobox', { name: 'Group 2 condition 1: operator' }).click();
    await page.getByRole('option', { name: 'is more than' }).click();
    await group.getByLabel('Group 2 condition 1: value').fill('6');
    await expect.poll(() => count.textContent()).toBe('1 contact');
    await group.getByRole('button', { name: 'Add condition' }).click();
    await group.getByRole('combobox', { name: 'Group 2 condition 2: field' }).click();
    await page.getByRole('option', { name: 'Lists' }).click();
    await group.locator('input[aria-label="Group 2 condition 2: value"]').click();
    await page.getByRole('option', { name: HOSTILE }).click();
    await page.keyboard.press('Escape');
    // ann (gold, 9, listed) only: bob is gold but neither above 6 nor listed.
    await expect.poll(() => count.textContent()).toBe('1 contact');
    await group.getByText('none of these').first().click();
    await expect.poll(() => count.textContent()).toBe('2 contacts');
    await screenshot(page, 'segments-01-builder');

    await page.getByLabel('Name').fill(HOSTILE);
    await page.getByRole('button', { name: 'Save segment' }).click();
    await page.waitForURL(/\/segments\/\d+$/);
    await page.getByRole('heading', { name: HOSTILE }).waitFor();
    const id = page.url().split('/').pop() as string;
    const stored = await t.request('GET', `/api/v1/segments/${id}`);
    expect(stored.body).toMatchObject({
      name: HOSTILE,
      count: 2,
      rules: {
        all: [
          { field: 'attributes.plan', op: 'eq', value: 'gold' },
          {
            none: [
              { field: 'attributes.score', op: 'gt', value: 6 },
              { field: 'lists', op: 'inAny', value: [listId] },
            ],
          },
        ],
      },
    });

    // Opened again, the builder holds the stored rules; an edit is saved over them.
    await page.reload();
    await expect.poll(() => count.textContent()).toBe('2 contacts');
    await page.getByRole('button', { name: 'Remove group 2 condition 1' }).click();
    await expect.poll(() => count.textContent()).toBe('2 contacts');
    await page.getByRole('button', { name: 'Remove group 2', exact: true }).click();
    await expect.poll(() => count.textContent()).toBe('3 contacts');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect((await t.request('GET', `/api/v1/segments/${id}`)).body.count).toBe(3);

    await page.getByRole('link', { name: '← Segments' }).click();
    await page.getByRole('link', { name: HOSTILE }).click();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No segments yet').waitFor();
    expect((await t.request('GET', `/api/v1/segments/${id}`)).status).toBe(404);

    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(browser.problems).toEqual([]);
  });

  it('offers the operators and inputs of each field type', async () => {
    const browser = await t.signIn('/segments/new');
    const { page } = browser;
    await page.getByRole('button', { name: 'Add condition' }).click();
    const field = page.getByRole('combobox', { name: 'Condition 1: field' });
    const op = page.getByRole('combobox', { name: 'Condition 1: operator' });
    const options = async () => {
      await op.click();
      const names = await page.getByRole('option').allTextContents();
      await page.keyboard.press('Escape');
      return names;
    };
    await field.click();
    await page.getByRole('option', { name: 'Added' }).click();
    expect(await options()).toEqual([
      'is before',
      'is after',
      'is between',
      'is within the last … days',
      'is more than … days ago',
    ]);
    expect(await page.getByLabel('Condition 1: value').getAttribute('type')).toBe('date');
    await field.click();
    await page.getByRole('option', { name: 'score' }).click();
    expect(await options()).toEqual([
      'is',
      'is not',
      'is less than',
      'is at most',
      'is more than',
      'is at least',
      'is between',
      'is set',
      'is not set',
    ]);
    await op.click();
    await page.getByRole('option', { name: 'is between' }).click();
    await page.getByLabel('Condition 1: from').fill('2');
    await page.getByLabel('Condition 1: to').fill('6');
    // Scores 3 and 5.
    await expect.poll(() => page.getByTestId('segment-count').textContent()).toBe('2 contacts');
    await field.click();
    await page.getByRole('option', { name: 'Status' }).click();
    expect(await options()).toEqual(['is', 'is not', 'is one of']);
    await expect.poll(() => page.getByTestId('segment-count').textContent()).toBe('5 contacts');
    expect(browser.problems).toEqual([]);
  });
});
