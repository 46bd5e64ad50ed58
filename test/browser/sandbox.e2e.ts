import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { SandboxInbox } from '../../libs/delivery/src/index.js';
import { browserSuite, screenshot } from '../support/browser.js';

const HOSTILE = '<img src=x onerror=alert(1)>';

/** The sandbox inbox screen: captured mail, newest first, read without running any of it. */
describe('the sandbox inbox screen', { timeout: 90_000 }, () => {
  const t = browserSuite();

  const deliver = async (to: string, subject: string, html: string, text = `Text of ${subject}`) => {
    const port = t.app.get(SandboxInbox).port!;
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    try {
      await transport.sendMail({ from: '"Acme" <news@acme.example.com>', to, subject, html, text });
    } finally {
      transport.close();
    }
  };

  it('says what to do when empty, lists newest first and shows a message with its text part and headers', async () => {
    const browser = await t.signIn('/sandbox');
    const { page } = browser;
    await page.getByText('The sandbox inbox is empty').waitFor();

    await deliver('first@example.com', 'First message', '<p>Hello <b>first</b></p>');
    await deliver('second@example.com', 'Second message', '<p>Hello <b>second</b></p>');
    const messages = page.getByRole('list', { name: 'Messages' });
    await messages.getByText('Second message').waitFor();
    const titles = await messages.locator('li').allInnerTexts();
    expect(titles[0]).toContain('Second message');
    expect(titles[1]).toContain('First message');

    await messages.getByText('First message').click();
    await page.getByRole('heading', { name: 'First message' }).waitFor();
    const frame = page.frameLocator('iframe[title="Message"]');
    await frame.getByText('first').waitFor();
    expect(await page.locator('iframe[title="Message"]').getAttribute('sandbox')).toBe('');
    await page.getByRole('tab', { name: 'Text' }).click();
    await page.getByText('Text of First message').waitFor();
    await page.getByRole('tab', { name: 'Headers' }).click();
    await page.getByRole('rowheader', { name: 'Subject', exact: true }).waitFor();
    await screenshot(page, 'sandbox-01-message');

    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download raw' }).click();
    const raw = await (await download).path();
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(raw, 'utf8')).toContain('Subject: First message');

    await page.getByLabel('Recipient').fill('second@example.com');
    await expect.poll(() => messages.locator('li').count()).toBe(1);
    expect(browser.problems).toEqual([]);
  });

  it('shows a hostile subject as text and runs nothing of a message that carries scripts', async () => {
    await deliver(
      'victim@example.com',
      HOSTILE,
      `<p id="body">Hostile body</p><script>alert(2)</script><img src="x" onerror="alert(3)">
       <a href="javascript:alert(4)">link</a><iframe src="javascript:alert(5)"></iframe>
       <img src="http://tracker.example.com/pixel.gif" alt="pixel"><meta http-equiv="refresh" content="0;url=javascript:alert(6)">`,
    );
    const browser = await t.signIn('/sandbox');
    const { page } = browser;
    const messages = page.getByRole('list', { name: 'Messages' });
    await messages.getByText(HOSTILE).click();
    await page.getByRole('heading', { name: HOSTILE }).waitFor();
    await page.frameLocator('iframe[title="Message"]').getByText('Hostile body').waitFor();
    await page.getByText('not shown').waitFor();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(await page.frameLocator('iframe[title="Message"]').locator('script').count()).toBe(0);
    // Wait for anything the message might try to run late.
    await page.waitForTimeout(500);
    await screenshot(page, 'sandbox-02-hostile');
    expect(browser.problems).toEqual([]);
  });

  it('clears the inbox after asking', async () => {
    const browser = await t.signIn('/sandbox');
    const { page } = browser;
    await page.getByRole('list', { name: 'Messages' }).waitFor();
    await page.getByRole('button', { name: 'Clear inbox' }).click();
    await page
      .getByRole('dialog', { name: 'Empty the sandbox inbox?' })
      .getByRole('button', { name: 'Clear inbox' })
      .click();
    await page.getByText('The sandbox inbox is empty').waitFor();
    const left = await t.request('GET', '/api/v1/sandbox/messages');
    expect(left.body.items).toEqual([]);
    expect(browser.problems).toEqual([]);
  });
});
