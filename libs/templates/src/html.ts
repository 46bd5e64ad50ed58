import { Parser, QuoteType, Tokenizer } from 'htmlparser2';

/**
 * The few HTML operations compiling needs, done once per campaign on the
 * compiled template (never per recipient). They read the HTML with
 * htmlparser2's tokenizer, which takes every character once: the input can
 * be a marketer's 512 KB of arbitrary markup, and a pattern that rescans
 * the rest of the document at each `<a` would take minutes on it. Only the
 * attribute values that change are rewritten; everything else is kept byte
 * for byte, Handlebars expressions included.
 */

export interface StartTag {
  /** Lower-cased tag name. */
  name: string;
  /** Index of the tag's `<`. */
  start: number;
  /** Index just after the tag's closing `>`. */
  end: number;
  attributes: Attribute[];
}

export interface Attribute {
  /** Lower-cased attribute name. */
  name: string;
  /** The value as written (entities not decoded); empty when there is none. */
  raw: string;
  /** Where the value sits, quotes included: the span to replace to change it. */
  valueStart: number;
  valueEnd: number;
}

/**
 * Calls `visit` for every start tag, in document order, including those in
 * Outlook's conditional comments (`<!--[if mso]>…<![endif]-->`), which some
 * clients show. Other comments and the text of `<script>`, `<style>` and
 * `<title>` hold no tags.
 */
export function forEachStartTag(html: string, visit: (tag: StartTag) => void): void {
  scanStartTags(html, visit, true);
}

function scanStartTags(html: string, visit: (tag: StartTag) => void, intoComments: boolean): void {
  let tag: StartTag | undefined;
  let attributeName = '';
  let dataStart = -1;
  let dataEnd = -1;
  const finishTag = (closeIndex: number) => {
    if (tag) {
      tag.end = closeIndex + 1;
      visit(tag);
    }
    tag = undefined;
  };
  const conditionalComments: [number, number][] = [];
  const tokenizer = new Tokenizer(
    { decodeEntities: false },
    {
      onopentagname(start, end) {
        tag = { name: html.slice(start, end).toLowerCase(), start: start - 1, end: -1, attributes: [] };
      },
      onattribname(start, end) {
        attributeName = html.slice(start, end).toLowerCase();
        dataStart = -1;
      },
      onattribdata(start, end) {
        if (dataStart < 0) dataStart = start;
        dataEnd = end;
      },
      onattribend(quote, end) {
        const raw = dataStart < 0 ? '' : html.slice(dataStart, dataEnd);
        const quoted = quote === QuoteType.Double || quote === QuoteType.Single;
        tag?.attributes.push({
          name: attributeName,
          raw,
          valueStart: quote === QuoteType.NoValue ? end : end - raw.length - (quoted ? 2 : 0),
          valueEnd: end,
        });
      },
      onopentagend: finishTag,
      onselfclosingtag: finishTag,
      oncomment(start, end, offset) {
        if (intoComments && html.startsWith('[if', start)) conditionalComments.push([start, end - offset]);
      },
      onattribentity() {},
      oncdata() {},
      onclosetag() {},
      ondeclaration() {},
      onend() {},
      onprocessinginstruction() {},
      ontext() {},
      ontextentity() {},
    },
  );
  tokenizer.write(html);
  tokenizer.end();
  // What looks like a comment inside a comment is text, so this goes one level down at most.
  for (const [start, end] of conditionalComments)
    scanStartTags(
      html.slice(start, end),
      (inner) =>
        visit({
          ...inner,
          start: inner.start + start,
          end: inner.end + start,
          attributes: inner.attributes.map((a) => ({
            ...a,
            valueStart: a.valueStart + start,
            valueEnd: a.valueEnd + start,
          })),
        }),
      false,
    );
}

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

export interface HrefMatch {
  /** The attribute value as written (entities not decoded). */
  raw: string;
  /** The attribute value decoded: the URL a browser would follow. */
  url: string;
}

/**
 * Calls `replace` for the href of every `<a>` and substitutes the returned
 * attribute value (already HTML-safe, written in double quotes) when it
 * returns a string.
 */
export function mapHrefs(html: string, replace: (href: HrefMatch) => string | undefined): string {
  const edits: { start: number; end: number; text: string }[] = [];
  forEachStartTag(html, (tag) => {
    if (tag.name !== 'a') return;
    // A browser follows the first href; later duplicates are ignored as it ignores them.
    const href = tag.attributes.find((a) => a.name === 'href');
    if (!href || href.valueStart === href.valueEnd) return;
    const next = replace({ raw: href.raw, url: decodeEntities(href.raw).trim() });
    if (next !== undefined) edits.push({ start: href.valueStart, end: href.valueEnd, text: `"${next}"` });
  });
  // Conditional comments are visited after the document around them.
  edits.sort((a, b) => a.start - b.start);
  const out: string[] = [];
  let at = 0;
  for (const edit of edits) {
    out.push(html.slice(at, edit.start), edit.text);
    at = edit.end;
  }
  out.push(html.slice(at));
  return out.join('');
}

/** Images with no alt attribute or an empty one (the open pixel is added later and not counted). */
export function imagesWithoutAlt(html: string): number {
  let count = 0;
  forEachStartTag(html, (tag) => {
    if (tag.name !== 'img') return;
    const alt = tag.attributes.find((a) => a.name === 'alt');
    if (!alt || decodeEntities(alt.raw).trim() === '') count += 1;
  });
  return count;
}

/** Inserts `fragment` right after the opening `<body>`, or at the start when there is none. */
export function afterBodyOpen(html: string, fragment: string): string {
  let at = -1;
  forEachStartTag(html, (tag) => {
    if (at < 0 && tag.name === 'body') at = tag.end;
  });
  return at < 0 ? fragment + html : html.slice(0, at) + fragment + html.slice(at);
}

/** Inserts `fragment` before the last `</body>`, or at the end when there is none. */
export function beforeBodyClose(html: string, fragment: string): string {
  const at = html.toLowerCase().lastIndexOf('</body>');
  return at < 0 ? html + fragment : html.slice(0, at) + fragment + html.slice(at);
}

/**
 * The deepest element nesting of a document as an HTML parser builds it
 * (void elements, implied end tags), and where that depth is first passed
 * beyond `limit`. Counted without recursion, so any input can be measured;
 * the libraries that walk the tree afterwards (MJML, html-to-text) recurse
 * once per level and overflow the stack a few thousand levels down.
 */
export function nestingBeyond(
  html: string,
  limit: number,
  options: { selfClosingTags: boolean },
): { index: number; tag: string } | undefined {
  let depth = 0;
  let beyond: { index: number; tag: string } | undefined;
  const parser = new Parser(
    {
      onopentag(name) {
        depth += 1;
        if (depth > limit && !beyond) {
          beyond = { index: parser.startIndex, tag: name };
          parser.pause();
        }
      },
      onclosetag() {
        depth -= 1;
      },
    },
    { decodeEntities: false, recognizeSelfClosing: options.selfClosingTags },
  );
  parser.end(html);
  return beyond;
}

/**
 * Escapes the literal text of a marketer-written string for HTML while
 * keeping its Handlebars expressions as they are (they escape their own
 * output when rendered).
 */
export function escapeTextKeepingMustaches(source: string): string {
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  let out = '';
  let at = 0;
  for (const { start, end } of mustacheSpans(source)) {
    out += escape(source.slice(at, start)) + source.slice(start, end);
    at = end;
  }
  return out + escape(source.slice(at));
}

/**
 * Every `{{ … }}` in a text, each ending at the first `}}` after it. Found
 * with indexOf, so a text full of `{{` with no `}}` costs one pass, not one
 * pass per `{{`.
 */
export function* mustacheSpans(text: string): Generator<{ start: number; end: number }> {
  let from = 0;
  for (;;) {
    const start = text.indexOf('{{', from);
    if (start < 0) return;
    const close = text.indexOf('}}', start + 2);
    if (close < 0) return;
    yield { start, end: close + 2 };
    from = close + 2;
  }
}
