import { beforeAll, describe, expect, it } from 'vitest';
import { type Browser, browserSuite, screenshot } from '../support/browser.js';

const HOSTILE = '<img src=x onerror=alert(1)>';

const mjml = (text: string, footer = '{{sender.address}} <a href="{{unsubscribe_url}}">Unsubscribe</a>') => `<mjml>
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text>${text}</mj-text>
        <mj-text>${footer}</mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`;

describe('the template editor', { timeout: 90_000 }, () => {
  const t = browserSuite();

  beforeAll(async () => {
    const contact = await t.request('POST', '/api/v1/contacts', {
      body: { email: 'hostile@example.com', firstName: HOSTILE },
    });
    expect(contact.status).toBe(201);
  });

  /** Replaces the whole source in CodeMirror, as one paste, and waits until the editor holds exactly that. */
  async function replaceSource(page: Browser['page'], text: string) {
    const content = page.locator('.cm-content');
    await content.focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await expect.poll(() => content.textContent()).toBe('');
    await page.keyboard.insertText(text);
    await expect.poll(() => content.textContent()).toBe(text.replace(/\n/g, ''));
  }

  it('previews the source as it is edited, marks an MJML error on its line, and saves', async () => {
    const created = await t.request('POST', '/api/v1/templates', {
      body: {
        name: HOSTILE,
        subject: 'Hello {{first_name}}',
        body: mjml('Original words for {{default first_name "you"}}'),
      },
    });
    expect(created.status).toBe(201);
    const browser = await t.signIn('/contacts');
    const { page } = browser;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Templates' }).click();
    await page.getByRole('link', { name: HOSTILE }).click();
    await page.getByRole('heading', { name: HOSTILE }).waitFor();
    const frame = page.frameLocator('iframe[title="Message preview"]');
    await frame.getByText('Original words for Jane').waitFor();
    expect(await page.locator('iframe[title="Message preview"]').getAttribute('sandbox')).toBe('');

    await replaceSource(page, mjml('Changed words for {{default first_name "you"}}'));
    await frame.getByText('Changed words for Jane').waitFor({ timeout: 20_000 });
    await page.getByLabel('Subject').fill('Fresh news for {{first_name}}');
    await expect.poll(() => page.getByTestId('preview-subject').textContent()).toBe('Fresh news for Jane');
    await page.getByText(/KB of HTML; Gmail clips messages above 102 KB/).waitFor();
    await screenshot(page, 'templates-01-preview');

    // Line 4 puts text straight in a section: MJML refuses it and the editor marks that line.
    const broken = mjml('Changed words').replace(
      '    <mj-section>\n      <mj-column>',
      '    <mj-section>\n      <mj-text>outside a column</mj-text>\n      <mj-column>',
    );
    await replaceSource(page, broken);
    await page
      .getByRole('alert')
      .filter({ hasText: /^The source does not compileLine 4: / })
      .waitFor();
    await page.locator('.cm-line').nth(3).locator('.cm-lintRange-error').waitFor();
    expect(await page.locator('.cm-lint-marker-error').count()).toBe(1);
    await screenshot(page, 'templates-02-error');

    await replaceSource(page, mjml('Saved words', 'No footer here'));
    await frame.getByText('Saved words').waitFor({ timeout: 20_000 });
    expect(await page.locator('.cm-lint-marker-error').count()).toBe(0);
    await page.getByText('no unsubscribe link: a standard footer was added').waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /^Saved$/ })
      .waitFor();
    const stored = await t.request('GET', `/api/v1/templates/${created.body.id}`);
    expect(stored.body).toMatchObject({
      subject: 'Fresh news for {{first_name}}',
      body: mjml('Saved words', 'No footer here'),
    });

    // As the hostile contact: the name is text in the message, and nothing runs anywhere.
    await page.getByRole('combobox', { name: 'Preview as' }).fill('hostile');
    await page.getByRole('option', { name: /hostile@example\.com/ }).click();
    await expect.poll(() => page.getByTestId('preview-subject').textContent()).toBe(`Fresh news for ${HOSTILE}`);
    await page.getByLabel('Preview width').getByText('Mobile', { exact: true }).click();
    await expect
      .poll(async () => (await page.locator('iframe[title="Message preview"]').boundingBox())?.width ?? 0)
      .toBeLessThanOrEqual(375);
    await screenshot(page, 'templates-03-mobile-hostile');
    expect(await frame.locator('img[src="x"]').count()).toBe(0);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(browser.problems).toEqual([]);
  });

  it('starts a template from a starter design', async () => {
    const browser = await t.signIn('/templates');
    const { page } = browser;
    await page.getByRole('button', { name: 'New template' }).click();
    const dialog = page.getByRole('dialog', { name: 'New template' });
    await dialog.getByLabel('Name').fill('Spring welcome');
    await dialog.getByRole('radio', { name: 'Welcome' }).check();
    await dialog.getByRole('button', { name: 'Create template' }).click();
    await page.getByRole('heading', { name: 'Spring welcome' }).waitFor();
    await page.locator('iframe[title="Message preview"]').waitFor();
    const templates = await t.request('GET', '/api/v1/templates?limit=100');
    const starter = templates.body.items.find((x: { starter: string | null }) => x.starter === 'welcome');
    const copy = templates.body.items.find((x: { name: string }) => x.name === 'Spring welcome');
    const [a, b] = await Promise.all([
      t.request('GET', `/api/v1/templates/${starter.id}`),
      t.request('GET', `/api/v1/templates/${copy.id}`),
    ]);
    expect(b.body.body).toBe(a.body.body);
    expect(b.body.starter).toBeNull();
    expect(browser.problems).toEqual([]);
  });

  it('keeps script in an HTML template inside the sandboxed frame', async () => {
    const created = await t.request('POST', '/api/v1/templates', {
      body: {
        name: '<script>alert(4)</script>',
        subject: 'Hi',
        format: 'html',
        body: `<p>Plain HTML</p><img src=x alt="" onerror="parent.document.title='owned'"><script>parent.document.title='owned'</script><p><a href="{{unsubscribe_url}}">Unsubscribe</a></p>`,
      },
    });
    expect(created.status).toBe(201);
    const browser = await t.signIn(`/templates/${created.body.id}`);
    const { page } = browser;
    await page.getByRole('heading', { name: '<script>alert(4)</script>' }).waitFor();
    const frame = page.frameLocator('iframe[title="Message preview"]');
    await frame.getByText('Plain HTML').waitFor();
    expect(await page.locator('iframe[title="Message preview"]').getAttribute('sandbox')).toBe('');
    expect(await page.title()).toBe('Herald');
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    // The frame refused what the template tried, and said so; nothing else went wrong.
    await expect.poll(() => browser.problems.length).toBeGreaterThan(0);
    for (const problem of browser.problems) {
      expect(problem).toBe(
        "console error: Blocked script execution in 'about:srcdoc' because the document's frame is sandboxed and the 'allow-scripts' permission is not set.",
      );
    }
  });
});
