import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser as Chromium, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startTestApp, type TestApp } from './app.js';

/** Debian's Chromium binary itself: its /usr/bin wrapper script prints a harmless warning on every start. */
const CHROMIUM = process.env.HERALD_CHROMIUM ?? '/usr/lib/chromium/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

export interface Browser {
  page: Page;
  context: BrowserContext;
  /** Script errors, console errors and dialogs the page produced: a test expects none. */
  problems: string[];
  close(): Promise<void>;
}

/** The test app of a browser test file, with the browser to open pages on it. */
export interface BrowserSuite extends TestApp {
  /** A fresh browser context (no cookies, no storage) with one page; closed after the test. */
  open(): Promise<Browser>;
  /** A fresh page as open() gives, signed in as the admin at `path` (the dashboard's start by default). */
  signIn(path?: string): Promise<Browser>;
}

/**
 * Sets up a browser test file: before its tests, the test app (with
 * `options`, as startTestApp takes them) and one Chromium; each test opens
 * contexts of its own, closed after it; after the tests, both go.
 * Call it at the top of the file's `describe`; its result is the test app.
 */
export function browserSuite(options: Parameters<typeof startTestApp>[0] = {}): BrowserSuite {
  let t: TestApp | undefined;
  let chromium: Chromium | undefined;
  const opened: Browser[] = [];

  beforeAll(async () => {
    [t, chromium] = await Promise.all([startTestApp(options), launchChromium()]);
  });
  afterEach(async () => {
    for (const browser of opened.splice(0)) await browser.close();
  });
  afterAll(async () => {
    await chromium?.close();
    await t?.close();
  });

  const started = (): TestApp => {
    if (t === undefined) throw new Error('the test app starts in beforeAll: use it from hooks and tests');
    return t;
  };
  const open = async (): Promise<Browser> => {
    if (chromium === undefined) throw new Error('Chromium starts in beforeAll: open pages from hooks and tests');
    const browser = await openContext(chromium);
    opened.push(browser);
    return browser;
  };
  return {
    get app() {
      return started().app;
    },
    get url() {
      return started().url;
    },
    get config() {
      return started().config;
    },
    get db() {
      return started().db;
    },
    get database() {
      return started().database;
    },
    get adminEmail() {
      return started().adminEmail;
    },
    get adminPassword() {
      return started().adminPassword;
    },
    get apiKey() {
      return started().apiKey;
    },
    request: (method, path, requestOptions) => started().request(method, path, requestOptions),
    close: () => started().close(),
    open,
    async signIn(path = '/') {
      const browser = await open();
      await signIn(browser.page, started(), path);
      return browser;
    },
  };
}

async function launchChromium(): Promise<Chromium> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: apt-get install -y chromium (.ci/run does it)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A new context of `chromium`, as fresh as a new profile, with one page recording anything that ran or failed in it. */
async function openContext(chromium: Chromium): Promise<Browser> {
  const context = await chromium.newContext({ viewport: { width: 1280, height: 800 } });
  // A step that cannot happen fails in seconds with what it waited for, not at the test's timeout.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // API refusals (the session probe's 401, a form's 400) are shown by the page; Chromium also logs them.
    if (
      message.type() === 'error' &&
      !/Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())
    ) {
      problems.push(`console error: ${message.text()}`);
    }
  });
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.type()} ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { page, context, problems, close: () => context.close() };
}

/** Opens `path` (the dashboard's start by default) and signs in there as the test app's admin. */
export async function signIn(page: Page, t: TestApp, path = '/'): Promise<void> {
  await page.goto(t.url + path);
  await page.getByLabel('Email').fill(t.adminEmail);
  await page.getByLabel(/^Password/).fill(t.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/** Saves what the page shows under test/artifacts/ (git-ignored), for the record of each flow. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * The form controls on the page that a screen reader could not name: no
 * `<label>`, no `aria-label`, no `aria-labelledby` with text. Hidden
 * inputs and controls hidden from assistive technology are left out.
 * Returns a short description of each, so a failure says which.
 */
export async function unlabelledControls(page: Page): Promise<string[]> {
  // Text, not a function: test code is type-checked without the DOM's types.
  return page.evaluate(`(() => {
    const named = (el) => {
      if ((el.getAttribute('aria-label') ?? '').trim() !== '') return true;
      const ids = (el.getAttribute('aria-labelledby') ?? '').split(/\\s+/).filter(Boolean);
      if (ids.some((id) => (document.getElementById(id)?.textContent ?? '').trim() !== '')) return true;
      return el.labels !== null && [...el.labels].some((label) => (label.textContent ?? '').trim() !== '');
    };
    return [...document.querySelectorAll('input, select, textarea')]
      .filter((el) => el.type !== 'hidden' && el.closest('[aria-hidden="true"]') === null)
      .filter((el) => !named(el))
      .map((el) => el.outerHTML.slice(0, 160));
  })()`) as Promise<string[]>;
}
