import { Text } from '@mantine/core';
import { useMemo } from 'react';

/** What a frame may load under the dashboard's CSP (`img-src 'self' data: https:`) without the browser refusing it. */
const SHOWN_IMAGE = /^(https:|data:image\/)/i;

/**
 * An email's HTML as a document for a frame. The frame's `sandbox=""` is
 * what keeps the mail from running or reaching this origin; this only
 * removes what the sandbox and the CSP would refuse anyway (scripts, event
 * handlers, plain-http images, stylesheets from elsewhere, embedded frames,
 * refreshes), so viewing a
 * hostile message leaves no errors and loads nothing the dashboard forbids.
 */
export function frameDocument(html: string): { document: string; hiddenImages: number } {
  const doc = new DOMParser().parseFromString(disarmHandlers(html), 'text/html');
  doc
    .querySelectorAll('script, noscript, iframe, frame, frameset, object, embed, applet, base, link, meta[http-equiv]')
    .forEach((el) => el.remove());
  // Web fonts come as @import of a stylesheet, which the CSP refuses; the fallback fonts show instead.
  doc.querySelectorAll('style').forEach((style) => {
    style.textContent = (style.textContent ?? '').replace(/@import[^;]*;?/gi, '');
  });
  let hiddenImages = 0;
  for (const el of Array.from(doc.querySelectorAll('*'))) {
    for (const attr of Array.from(el.attributes)) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on') || name.startsWith('data-x-on') || name === 'srcset' || name === 'formaction')
        el.removeAttribute(attr.name);
      else if (/^\s*(javascript|vbscript|data:text)/i.test(attr.value) && name !== 'alt' && name !== 'title') {
        el.removeAttribute(attr.name);
      }
    }
    if ((el.tagName === 'IMG' || el.tagName === 'INPUT') && el.hasAttribute('src')) {
      if (!SHOWN_IMAGE.test(el.getAttribute('src') ?? '')) {
        el.removeAttribute('src');
        hiddenImages++;
      }
    }
    if (el.hasAttribute('background')) el.removeAttribute('background');
  }
  return { document: `<!doctype html>${doc.documentElement.outerHTML}`, hiddenImages };
}

/**
 * A start tag, quoted attribute values included (they may hold `>`). No
 * piece can be matched two ways and no match crosses a `<`, so hostile
 * input costs linear time; a tag with `<` in a value is left as it is.
 */
const START_TAG =
  /<[a-z][^\s/<>]*(?:(?:[\s/]+|(?<=["']))[^\s/<>"'=]+(?:\s*=\s*(?:"[^"<]*"|'[^'<]*'|[^\s/<>"']+))?)*[\s/]*>/gi;
const HANDLER = /([\s/"'])(on[a-z0-9_-]*\s*=)/gi;

/**
 * Renames event-handler attributes in start tags before the HTML is parsed:
 * Chromium checks an inline handler against the page's CSP as soon as the
 * parser sets it, even in an inert DOMParser document, and reports the
 * refusal as a console error. (The parsed document is cleaned again below.)
 */
function disarmHandlers(html: string): string {
  return html.replace(START_TAG, (tag) => tag.replace(HANDLER, '$1data-x-$2'));
}

/** An email shown in a frame that runs no script and has no origin of its own. */
export function MailFrame({ html, title, height = 560 }: { html: string; title: string; height?: number }) {
  const framed = useMemo(() => frameDocument(html), [html]);
  return (
    <>
      {framed.hiddenImages > 0 && (
        <Text size="xs" c="dimmed">
          {framed.hiddenImages} image{framed.hiddenImages === 1 ? '' : 's'} over plain http or without a web address not
          shown.
        </Text>
      )}
      <iframe
        sandbox=""
        title={title}
        srcDoc={framed.document}
        referrerPolicy="no-referrer"
        style={{ width: '100%', height, border: '1px solid var(--mantine-color-gray-3)', borderRadius: 4 }}
      />
    </>
  );
}
