import type { Response } from 'express';
import type { MessageBranding } from '../message-source.js';

/** The languages recipient-facing pages speak; the first is the fallback. */
export const LANGUAGES = ['en', 'de'] as const;
export type Language = (typeof LANGUAGES)[number];

/** A feature's wording in every language: the compiler checks that no language misses a key. */
export type Wording<K extends string> = Record<Language, Record<K, string>>;

/**
 * The best of our languages for an `Accept-Language` header (RFC 9110
 * weights; `de-AT` matches `de`); English when none matches or the header
 * is missing or malformed.
 */
export function pickLanguage(header: string | undefined): Language {
  if (typeof header !== 'string' || header.length > 500) return 'en';
  let best: { language: Language; weight: number } | undefined;
  for (const part of header.split(',')) {
    const [tag, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    const weight = q === undefined ? 1 : Number(q);
    const language = LANGUAGES.find((l) => tag === l || tag.startsWith(`${l}-`));
    if (language !== undefined && weight > 0 && (best === undefined || weight > best.weight))
      best = { language, weight };
  }
  return best?.language ?? 'en';
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

export interface Page {
  language: Language;
  title: string;
  /** HTML the caller built; every value from a contact, a sender or a request must be escaped (`escapeHtml`). */
  body: string;
  /** The sender's name and postal address, shown in the footer. */
  branding?: MessageBranding | null;
}

const STYLE = `
  body{margin:0;background:#f4f5f7;color:#1f2328;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
  main{max-width:34rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.1)}
  h1{font-size:1.4rem;margin:0 0 1rem}
  fieldset{border:0;padding:0;margin:1rem 0}
  label{display:block;margin:.4rem 0}
  button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:6px;background:#1f6feb;color:#fff;cursor:pointer}
  button:focus-visible,input:focus-visible{outline:3px solid #f0b400;outline-offset:2px}
  footer{max-width:34rem;margin:0 auto 3rem;padding:0 2rem;color:#57606a;font-size:.85rem}
  @media (max-width:40rem){main{margin:0;border-radius:0}}`;

/** A whole page: plain HTML and one inline stylesheet, no scripts, no external resources. */
export function renderPage(page: Page): string {
  const footer =
    page.branding === undefined || page.branding === null
      ? ''
      : `<footer><p>${escapeHtml(page.branding.senderName)}<br>${escapeHtml(page.branding.postalAddress).replace(/\r?\n/g, '<br>')}</p></footer>`;
  return `<!doctype html>
<html lang="${page.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(page.title)}</h1>
${page.body}
</main>
${footer}
</body>
</html>`;
}

/**
 * Sends a page: never cached (it is about one recipient), never framed,
 * no script may run, forms post only back here, and no referrer leaves
 * with the token in it.
 */
export function sendPage(res: Response, status: number, page: Page): void {
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Security-Policy':
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      'Content-Language': page.language,
    })
    .send(renderPage(page));
}
