import 'reflect-metadata';
import { type AppSecret, type HeraldConfig, MessageTokens } from '@herald/common';
import { compileTemplate, type ContactData, MessageRenderer, templateData, trackingUrls } from '@herald/templates';
import Handlebars from 'handlebars';
import { randomBytes } from 'node:crypto';
import { FIELD_COUNT, NEWSLETTER_MJML } from './fixtures/newsletter.js';

/**
 * Render benchmark (`npm run bench:render`): MJML compile time per template,
 * and per-recipient renders/s of Herald's full step (signed token + subject,
 * HTML and text) against a bare Handlebars render of the same template with
 * no tracking, measured in the same run on one core.
 */
/** Short alternating slices: on a shared machine load drifts, and each pair sees the same load. */
const SLICE_MS = 100;
const PAIRS = 30;
const COMPILE_RUNS = 15;

const options = {
  publicUrl: 'https://mail.example.org',
  sender: { name: 'Example Ltd', address: '1 Main Street, Springfield' },
};
const source = {
  subject: 'News for {{default first_name "you"}} at {{company}}',
  preheader: 'Eight stories, one account update and an invitation, {{first_name}}.',
  format: 'mjml' as const,
  body: NEWSLETTER_MJML,
};

const contacts: ContactData[] = Array.from({ length: 1000 }, (_, i) => ({
  email: `person${i}@example.com`,
  first_name: i % 10 === 0 ? null : `First${i}`,
  last_name: `Last ${i} & Sons`,
  attributes: {
    company: `Company <${i}>`,
    city: 'Lisbon',
    country: 'Portugal',
    plan: i % 3 === 0 ? 'pro' : 'team',
    points: i * 7,
    manager: 'Sam',
    joined: new Date(Date.UTC(2020, i % 12, 1 + (i % 28))).toISOString(),
  },
}));

/** Runs `step` for about `ms` milliseconds; returns operations per second. */
function measure(step: (i: number) => number, ms: number): number {
  let n = 0;
  let sink = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < end) {
    for (let k = 0; k < 100; k += 1) sink += step(n++);
    now = process.hrtime.bigint();
  }
  if (sink === -1) console.log(sink);
  return n / (Number(now - start) / 1e9);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const secret = randomBytes(32);
  const key = new MessageTokens(secret);
  // What the campaign engine injects, built by hand: only these two settings matter to it.
  const renderer = new MessageRenderer(
    { PUBLIC_URL: options.publicUrl } as HeraldConfig,
    { value: secret } as AppSecret,
  );

  // Compile: MJML -> HTML -> rewritten links, text part, Handlebars compile.
  await compileTemplate(source, options);
  const compileMs: number[] = [];
  let compiled = await compileTemplate(source, options);
  for (let i = 0; i < COMPILE_RUNS; i += 1) {
    const t0 = performance.now();
    compiled = await compileTemplate(source, options);
    compileMs.push(performance.now() - t0);
  }

  // The same template with no tracking, rendered with stock Handlebars: the baseline.
  const plain = await compileTemplate(source, { ...options, trackClicks: false, trackOpens: false });
  // Stock Handlebars with the simplest equivalents of Herald's helpers, and none of its safety options.
  const hb = Handlebars.create();
  const longDate = new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: 'UTC' });
  hb.registerHelper('default', (value: unknown, fallback: unknown) =>
    value == null || value === '' ? fallback : value,
  );
  hb.registerHelper('date', (value: string) => longDate.format(new Date(value)));
  hb.registerHelper('urlencode', (value: string) => encodeURIComponent(value));
  const bare = {
    subject: hb.compile(plain.sources.subject, { noEscape: true }),
    html: hb.compile(plain.sources.html),
    text: hb.compile(plain.sources.text, { noEscape: true }),
  };
  // Both sides build the data object from the contact per recipient, as a sender must.
  const bareSystem = {
    unsubscribe_url: 'https://mail.example.org/u/x',
    webview_url: 'https://mail.example.org/w/x',
    sender: options.sender,
  };
  const bareData = (c: ContactData) => {
    const d: Record<string, unknown> = Object.assign({}, c.attributes);
    d.email = c.email;
    d.first_name = c.first_name;
    d.last_name = c.last_name;
    return Object.assign(d, bareSystem);
  };

  const sample = renderer.render(compiled, { messageId: '1', contact: contacts[1] });
  const htmlBytes = Buffer.byteLength(sample.html);
  const stepHerald = (i: number) =>
    renderer.render(compiled, { messageId: String(i + 1), contact: contacts[i % 1000] }).html.length;
  const stepHeraldHtml = (i: number) => {
    const system: Record<string, unknown> = trackingUrls(options.publicUrl, key.sign(String(i + 1)));
    system.sender = options.sender;
    return compiled.html(templateData(contacts[i % 1000], system)).length;
  };
  const stepBare = (i: number) => {
    const d = bareData(contacts[i % 1000]);
    return bare.subject(d).length + bare.html(d).length + bare.text(d).length;
  };
  const stepBareHtml = (i: number) => bare.html(bareData(contacts[i % 1000])).length;

  // Warm up, then alternate short slices and compare each pair.
  for (const step of [stepHerald, stepBare, stepHeraldHtml, stepBareHtml]) measure(step, 300);
  const compare = (a: (i: number) => number, b: (i: number) => number) => {
    const rates: { a: number[]; b: number[]; ratio: number[] } = { a: [], b: [], ratio: [] };
    for (let r = 0; r < PAIRS; r += 1) {
      const ra = measure(a, SLICE_MS);
      const rb = measure(b, SLICE_MS);
      rates.a.push(ra);
      rates.b.push(rb);
      rates.ratio.push(ra / rb);
    }
    return { a: median(rates.a), b: median(rates.b), ratio: median(rates.ratio) };
  };
  const full = compare(stepHerald, stepBare);
  const htmlOnly = compare(stepHeraldHtml, stepBareHtml);

  console.log('Herald render benchmark (one core)');
  console.log(
    `  template: ${(Buffer.byteLength(source.body) / 1024).toFixed(1)} KB MJML -> ${(htmlBytes / 1024).toFixed(1)} KB HTML, ` +
      `${compiled.links.length} tracked links, ${FIELD_COUNT} personalised fields`,
  );
  console.log(
    `  compile (MJML + links + text + Handlebars): median ${median(compileMs).toFixed(1)} ms, ` +
      `min ${Math.min(...compileMs).toFixed(1)} ms over ${COMPILE_RUNS} runs`,
  );
  console.log('  per recipient, subject + HTML + text (median of paired slices):');
  console.log(`    Herald (token + render):      ${fmt(full.a)} renders/s`);
  console.log(`    bare Handlebars, no tracking: ${fmt(full.b)} renders/s`);
  console.log(`    ratio:                        ${full.ratio.toFixed(2)}`);
  console.log('  per recipient, HTML only:');
  console.log(`    Herald (token + render):      ${fmt(htmlOnly.a)} renders/s`);
  console.log(`    bare Handlebars, no tracking: ${fmt(htmlOnly.b)} renders/s`);
  console.log(`    ratio:                        ${htmlOnly.ratio.toFixed(2)}`);
  const ok = full.ratio >= 0.8 && full.a >= 10_000;
  console.log(`  target (ratio >= 0.80 and >= 10,000 renders/s): ${ok ? 'met' : 'NOT met'}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
