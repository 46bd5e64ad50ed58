/**
 * The message HTML as the preview frame shows it. What keeps a template or
 * contact value from reaching the dashboard is the frame itself:
 * `sandbox=""` (no script runs in it, and it has no access to this origin),
 * and the dashboard's CSP, which a srcdoc frame inherits. The HTML is never
 * parsed in the dashboard's own document.
 *
 * Only the web-font style sheets MJML links (`<link rel="stylesheet">` and
 * `@import url(...)` of fonts.googleapis.com) are left out: the inherited
 * CSP would refuse them, loudly, on every render. The preview shows the
 * fallback fonts a client without web fonts shows.
 */
export function frameDocument(html: string): string {
  return html.replace(/<link\b[^>]*\brel=["']?stylesheet\b[^>]*>/gi, '').replace(/@import\s+url\([^)]*\)\s*;?/gi, '');
}

/** `line 4: message` or `line 4, column 7: message`, as the API words a compile error. */
export function parseSourceError(text: string): { line: number; column?: number; message: string } | undefined {
  const match = /^line (\d+)(?:, column (\d+))?: ([\s\S]*)$/.exec(text);
  if (!match) return undefined;
  return { line: Number(match[1]), column: match[2] ? Number(match[2]) : undefined, message: match[3] };
}

/** Gmail shows only the first 102 KB of a message's HTML behind a "view entire message" link. */
export const GMAIL_CLIP_BYTES = 102 * 1024;
