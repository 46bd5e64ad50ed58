/**
 * The few HTML operations the compiler needs, done once per campaign on the
 * compiled template (never per recipient). Regular expressions are enough
 * here: the input is the output of MJML or a marketer's own HTML, the
 * patterns respect quoted attribute values, and they run in linear time.
 */

/** An opening tag with its attributes; quoted values may contain `>`. */
const tagPattern = (name: string) => new RegExp(`<${name}\\b(?:[^>"']|"[^"]*"|'[^']*')*>`, 'gi');
export const A_TAG = tagPattern('a');
export const IMG_TAG = tagPattern('img');
const HREF_ATTR = /(\shref\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i;
const ALT_ATTR = /\salt(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/i;

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Decodes the entities that appear in attribute values (`&amp;` in URLs above all). */
export function decodeEntities(value: string): string {
  return value.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,6});/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

export function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface HrefMatch {
  /** The attribute value as written (entities not decoded). */
  raw: string;
  /** The attribute value decoded: the URL a browser would follow. */
  url: string;
}

/**
 * Calls `replace` for the href of every `<a>` and substitutes the returned
 * attribute value (already HTML-safe) when it returns a string.
 */
export function mapHrefs(html: string, replace: (href: HrefMatch) => string | undefined): string {
  return html.replace(A_TAG, (tag) =>
    tag.replace(HREF_ATTR, (whole, prefix: string, dq?: string, sq?: string, bare?: string) => {
      const raw = dq ?? sq ?? bare ?? '';
      const next = replace({ raw, url: decodeEntities(raw).trim() });
      return next === undefined ? whole : `${prefix}"${next}"`;
    }),
  );
}

/** Images with no alt attribute or an empty one (the open pixel is added later and not counted). */
export function imagesWithoutAlt(html: string): number {
  let count = 0;
  for (const [tag] of html.matchAll(IMG_TAG)) {
    const alt = ALT_ATTR.exec(tag);
    const value = alt ? (alt[1] ?? alt[2] ?? alt[3] ?? '') : '';
    if (value.trim() === '') count += 1;
  }
  return count;
}

/** Inserts `fragment` right after the opening `<body>`, or at the start when there is none. */
export function afterBodyOpen(html: string, fragment: string): string {
  const match = /<body\b(?:[^>"']|"[^"]*"|'[^']*')*>/i.exec(html);
  if (!match) return fragment + html;
  const at = match.index + match[0].length;
  return html.slice(0, at) + fragment + html.slice(at);
}

/** Inserts `fragment` before the last `</body>`, or at the end when there is none. */
export function beforeBodyClose(html: string, fragment: string): string {
  const at = html.toLowerCase().lastIndexOf('</body>');
  return at < 0 ? html + fragment : html.slice(0, at) + fragment + html.slice(at);
}

/**
 * Escapes the literal text of a marketer-written string for HTML while
 * keeping its Handlebars expressions as they are (they escape their own
 * output when rendered).
 */
export function escapeTextKeepingMustaches(source: string): string {
  return source
    .split(/(\{\{[\s\S]*?\}\})/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')))
    .join('');
}
