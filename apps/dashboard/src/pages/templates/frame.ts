/**
 * The message HTML as the preview frame shows it. The frame is sandboxed
 * (`sandbox=""`: no script runs, no same-origin access), which is what keeps
 * a template or contact value from reaching the dashboard. On top of that,
 * what would only be refused inside the frame is left out so that it is
 * not refused loudly: scripts and event-handler attributes (a sandboxed
 * frame blocks them and logs each one), and external style sheets and
 * `@import`s, which the dashboard's CSP (inherited by the frame) refuses.
 * The preview then shows the fallback fonts a client without web fonts
 * shows. DOMParser builds an inert document: nothing in it loads or runs.
 */
export function frameDocument(html: string): string {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  doc.querySelectorAll('script, link[rel~="stylesheet" i], link[rel~="preload" i]').forEach((e) => e.remove());
  doc.querySelectorAll('style').forEach((style) => {
    style.textContent = (style.textContent ?? '').replace(/@import\s+(url\()?[^;]*;?/gi, '');
  });
  doc.querySelectorAll('*').forEach((element) => {
    for (const name of element.getAttributeNames()) {
      if (name.toLowerCase().startsWith('on')) element.removeAttribute(name);
    }
  });
  return `<!doctype html>${doc.documentElement.outerHTML}`;
}

/** `line 4: message` or `line 4, column 7: message`, as the API words a compile error. */
export function parseSourceError(text: string): { line: number; column?: number; message: string } | undefined {
  const match = /^line (\d+)(?:, column (\d+))?: ([\s\S]*)$/.exec(text);
  if (!match) return undefined;
  return { line: Number(match[1]), column: match[2] ? Number(match[2]) : undefined, message: match[3] };
}

/** Gmail shows only the first 102 KB of a message's HTML behind a "view entire message" link. */
export const GMAIL_CLIP_BYTES = 102 * 1024;
