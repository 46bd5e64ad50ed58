import { compile as compileHtmlToText } from 'html-to-text';
import mjml2html from 'mjml';
import {
  compileHandlebars,
  inspectSource,
  type PartsRenderer,
  partsRenderer,
  type Renderer,
  type SourceFacts,
} from './handlebars.js';
import {
  afterBodyOpen,
  beforeBodyClose,
  escapeTextKeepingMustaches,
  forEachStartTag,
  imagesWithoutAlt,
  mapHrefs,
  mustacheSpans,
  nestingBeyond,
} from './html.js';
import { type TemplateField, TemplateError, type TemplateProblem } from './template-error.js';

export type TemplateFormat = 'mjml' | 'html';

/** What a marketer writes; the `templates` table stores exactly this. */
export interface TemplateSource {
  subject: string;
  preheader?: string | null;
  format: TemplateFormat;
  body: string;
  /** A hand-written text part; generated from the HTML when absent. */
  textBody?: string | null;
}

/** The postal address and name every bulk message must carry. */
export interface SenderInfo {
  name?: string;
  address: string;
}

export interface CompileOptions {
  /** Base URL of the tracking and unsubscribe endpoints (`PUBLIC_URL`). */
  publicUrl: string;
  sender: SenderInfo;
  /** Add the open pixel (default true). */
  trackOpens?: boolean;
  /** Rewrite http(s) links to click-tracking URLs (default true). */
  trackClicks?: boolean;
  /**
   * Add the unsubscribe footer when the template has no unsubscribe link
   * (default true). False for transactional mail, which is no list mail:
   * no footer, and no warning about a missing link or postal address.
   */
  unsubscribeFooter?: boolean;
}

export interface TrackedLink {
  /** The number after the message token in `/t/c/<token>.<index>`. */
  index: number;
  /** The destination; may hold Handlebars (`https://shop.example/?e={{email}}`), rendered per contact on click. */
  url: string;
}

export type WarningCode =
  | 'no_unsubscribe_link'
  | 'no_postal_address'
  | 'images_without_alt'
  | 'insecure_links'
  | 'untracked_links'
  | 'html_too_large';

export interface TemplateWarning {
  code: WarningCode;
  message: string;
}

/**
 * A template ready for sending: Handlebars renderers whose output is the
 * final subject, HTML and text of one message. Built once per campaign;
 * `MessageRenderer.render` is the per-recipient step.
 */
export interface CompiledTemplate {
  /** All three parts in one template call: what the per-recipient step uses. */
  message: PartsRenderer;
  /** Each part on its own, for when only one is needed (the web view needs only the HTML). */
  subject: Renderer;
  html: Renderer;
  text: Renderer;
  /** The Handlebars sources behind the renderers, for storing or inspecting. */
  sources: { subject: string; html: string; text: string };
  links: TrackedLink[];
  addedUnsubscribeFooter: boolean;
  /** The body or the text part uses `{{unsubscribe_url}}` itself. */
  usesUnsubscribeUrl: boolean;
  warnings: TemplateWarning[];
  options: Required<CompileOptions>;
}

/** Names compiling puts in the data object itself; templates should not use them. */
export const CLICK_BASE = '__click';
export const OPEN_URL = '__open';

const MJML_OPTIONS = {
  validationLevel: 'strict',
  // mj-include would read files on the server; a template can never do that.
  ignoreIncludes: true,
  keepComments: false,
  useMjmlConfigOptions: false,
} as const;

const htmlToText = compileHtmlToText({
  // Wrapping could split a Handlebars expression across lines.
  wordwrap: false,
  selectors: [
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
    { selector: 'img', format: 'skip' },
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((h) => ({ selector: h, options: { uppercase: false } })),
    { selector: 'table.data', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    // Preview text hidden in the HTML is not content.
    { selector: '[style*="display:none"]', format: 'skip' },
    { selector: '[style*="display: none"]', format: 'skip' },
  ],
});

const FOOTER_HTML = `
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;border-collapse:collapse;">
  <tr>
    <td align="center" style="padding:24px 16px 32px;font-family:Helvetica,Arial,sans-serif;font-size:12px;line-height:18px;color:#6b7280;">
      {{#if sender.name}}{{sender.name}}<br>{{/if}}{{sender.address}}<br><br>
      <a href="{{unsubscribe_url}}" style="color:#6b7280;text-decoration:underline;">Unsubscribe</a>
      &nbsp;&middot;&nbsp;
      <a href="{{webview_url}}" style="color:#6b7280;text-decoration:underline;">View in your browser</a>
    </td>
  </tr>
</table>
`;

const FOOTER_TEXT = `

--
{{#if sender.name}}{{sender.name}}
{{/if}}{{sender.address}}
Unsubscribe: {{unsubscribe_url}}
`;

/** The "preheader" shown by mail clients after the subject; the padding keeps body text out of it. */
const preheaderHtml = (preheader: string) =>
  `<div style="display:none;font-size:1px;color:#ffffff;line-height:1px;max-height:0px;max-width:0px;opacity:0;overflow:hidden;mso-hide:all;">${escapeTextKeepingMustaches(
    preheader,
  )}${'&#847;&zwnj;&nbsp;'.repeat(40)}</div>`;

/** The open pixel: `src` must be HTML-safe (a URL of Herald's, or the Handlebars expression of one). */
export const openPixelHtml = (src: string): string =>
  `<img src="${src}" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px;" />`;

const openPixel = openPixelHtml(`{{${OPEN_URL}}}`);

/**
 * MJML → HTML → tracked Handlebars template, once per campaign (or per
 * save, to validate). Throws TemplateError (422) with line and column for
 * anything that does not compile.
 */
export async function compileTemplate(source: TemplateSource, options: CompileOptions): Promise<CompiledTemplate> {
  const opts: Required<CompileOptions> = { trackOpens: true, trackClicks: true, unsubscribeFooter: true, ...options };
  const preheader = source.preheader ?? '';
  const textBody = source.textBody ?? null;

  const problems: TemplateProblem[] = [];
  const inspect = (field: TemplateField, text: string, escape: boolean): SourceFacts | undefined =>
    collect(problems, () => inspectSource(text, { field, escape }));
  inspect('subject', source.subject, false);
  inspect('preheader', preheader, true);
  const bodyFacts = inspect('body', source.body, true);
  const textFacts = textBody === null ? undefined : inspect('textBody', textBody, false);
  if (problems.length > 0 || !bodyFacts) throw new TemplateError(problems);

  checkMarkup(source.body, source.format);
  let html = source.format === 'mjml' ? await mjmlToHtml(source.body) : wrapHtml(source.body);
  checkGeneratedNesting(html);

  const warnings: TemplateWarning[] = [];
  const usesUnsubscribeUrl =
    bodyFacts.paths.has('unsubscribe_url') || (textFacts?.paths.has('unsubscribe_url') ?? false);
  const addedUnsubscribeFooter = opts.unsubscribeFooter && !bodyFacts.paths.has('unsubscribe_url');
  if (!opts.unsubscribeFooter) {
    // Transactional mail: no list to leave, so neither a footer nor warnings about one.
  } else if (addedUnsubscribeFooter) {
    html = beforeBodyClose(html, FOOTER_HTML);
    warnings.push({ code: 'no_unsubscribe_link', message: 'no unsubscribe link: a standard footer was added' });
  } else if (!bodyFacts.paths.has('sender.address')) {
    warnings.push({
      code: 'no_postal_address',
      message: 'no postal address: bulk mail must show it; add {{sender.address}} to the footer',
    });
  }

  const missingAlt = imagesWithoutAlt(html);
  if (missingAlt > 0)
    warnings.push({
      code: 'images_without_alt',
      message: `${missingAlt} image${missingAlt > 1 ? 's have' : ' has'} no alt text (shown when images are blocked, read by screen readers)`,
    });

  const { html: trackedHtml, links, insecure, untracked } = rewriteLinks(html, opts.trackClicks);
  if (insecure.length > 0)
    warnings.push({
      code: 'insecure_links',
      message: `${insecure.length} link${insecure.length > 1 ? 's do' : ' does'} not use https: ${insecure.slice(0, 3).join(', ')}`,
    });
  if (untracked > 0)
    warnings.push({
      code: 'untracked_links',
      message: `${untracked} link${untracked > 1 ? 's take their' : ' takes its'} whole address from contact data and cannot be tracked`,
    });
  html = trackedHtml;

  let text: string;
  if (textBody !== null) {
    text = !opts.unsubscribeFooter || textFacts?.paths.has('unsubscribe_url') ? textBody : textBody + FOOTER_TEXT;
  } else {
    text = htmlToText(html).trim() + '\n';
  }

  if (preheader.trim() !== '') html = afterBodyOpen(html, preheaderHtml(preheader));
  if (opts.trackOpens) html = beforeBodyClose(html, openPixel);

  const subject = source.subject;
  const compiled = {
    subject: collect(problems, () => compileHandlebars(subject, { field: 'subject', escape: false })),
    html: collect(problems, () => compileHandlebars(html, { field: 'body', escape: true })),
    text: collect(problems, () =>
      compileHandlebars(text, { field: textBody === null ? 'body' : 'textBody', escape: false }),
    ),
  };
  if (!compiled.subject || !compiled.html || !compiled.text) throw new TemplateError(problems);
  return {
    // Built only once every part compiled, so errors above name the part the marketer wrote.
    message: partsRenderer({ subject, html, text }, textBody === null ? 'body' : 'textBody'),
    subject: compiled.subject,
    html: compiled.html,
    text: compiled.text,
    sources: { subject, html, text },
    links,
    addedUnsubscribeFooter,
    usesUnsubscribeUrl,
    warnings,
    options: opts,
  };
}

function collect<T>(problems: TemplateProblem[], run: () => T): T | undefined {
  try {
    return run();
  } catch (error) {
    if (error instanceof TemplateError) {
      problems.push(...error.problems);
      return undefined;
    }
    throw error;
  }
}

interface MjmlValidationError {
  line?: number;
  message: string;
  tagName?: string;
}

async function mjmlToHtml(body: string): Promise<string> {
  let html: string;
  try {
    ({ html } = await mjml2html(body, MJML_OPTIONS));
  } catch (error) {
    const details = (error as { errors?: MjmlValidationError[] }).errors;
    if (Array.isArray(details) && details.length > 0) {
      throw new TemplateError(
        details.map((d) => ({
          field: 'body',
          line: d.line,
          message: d.tagName ? `<${d.tagName}>: ${d.message.trim()}` : d.message.trim(),
        })),
      );
    }
    // Parser failures carry no position; their message names no server path.
    const message = error instanceof Error ? error.message.replace(/\s+of \/\S*/g, '') : 'invalid MJML';
    throw new TemplateError([{ field: 'body', message: `not valid MJML: ${message}` }]);
  }
  checkExpressionsSurvived(body, html);
  return html;
}

/**
 * MJML keeps text only inside content components (mj-text, mj-button,
 * mj-raw, ...): an `{{#if}}` written between sections would vanish and the
 * section would show for everyone. Refuse that instead of changing meaning.
 */
function checkExpressionsSurvived(source: string, html: string): void {
  const found = new Map<string, number>();
  for (const { text } of mustaches(html)) found.set(text, (found.get(text) ?? 0) + 1);
  const problems: TemplateProblem[] = [];
  for (const { text, index } of mustaches(source)) {
    const left = found.get(text) ?? 0;
    if (left > 0) {
      found.set(text, left - 1);
      continue;
    }
    const before = source.slice(0, index);
    const line = before.split('\n').length;
    problems.push({
      field: 'body',
      line,
      column: index - before.lastIndexOf('\n'),
      message: `${text} sits outside MJML content and would be dropped; put it inside <mj-raw>, <mj-text> or an attribute`,
    });
  }
  if (problems.length > 0) throw new TemplateError(problems);
}

/** Every `{{ }}` expression but comments, with runs of whitespace made one space. */
function mustaches(text: string): { text: string; index: number }[] {
  const out: { text: string; index: number }[] = [];
  for (const { start, end } of mustacheSpans(text))
    if (text[start + 2] !== '!') out.push({ text: text.slice(start, end).replace(/\s+/g, ' '), index: start });
  return out;
}

/**
 * Bounds on the markup of a body, checked before MJML and html-to-text see
 * it. Both walk the document recursively and overflow the stack a few
 * thousand levels down (a 500 instead of an answer), and MJML's time grows
 * with every component, all on the event loop; every tracked
 * link adds a Handlebars expression to compile. Real designs nest about 25
 * levels after MJML and use well under a hundred components and links.
 */
export const MARKUP_LIMITS = { nesting: 100, generatedNesting: 200, mjmlComponents: 1000, links: 1000 } as const;

function checkMarkup(body: string, format: TemplateFormat): void {
  const at = (index: number, message: string): never => {
    const before = body.slice(0, index);
    const line = before.split('\n').length;
    throw new TemplateError([{ field: 'body', line, column: index - before.lastIndexOf('\n'), message }]);
  };
  // MJML's parser closes `<mj-image />`; html-to-text, like a browser, does not close `<div />`.
  const deep = nestingBeyond(body, MARKUP_LIMITS.nesting, { selfClosingTags: format === 'mjml' });
  if (deep)
    at(deep.index, `elements nested more than ${MARKUP_LIMITS.nesting} deep (at <${deep.tag}>); flatten the markup`);
  if (format !== 'mjml') return;
  let components = 0;
  let beyond = -1;
  forEachStartTag(body, (tag) => {
    if (tag.name.startsWith('mj-') && ++components === MARKUP_LIMITS.mjmlComponents + 1) beyond = tag.start;
  });
  if (beyond >= 0)
    at(
      beyond,
      `more than ${MARKUP_LIMITS.mjmlComponents.toLocaleString('en-US')} MJML components; ` +
        'split the design into several templates',
    );
}

/** MJML adds its own levels of tables around the marketer's markup; html-to-text must still be able to walk it. */
function checkGeneratedNesting(html: string): void {
  const deep = nestingBeyond(html, MARKUP_LIMITS.generatedNesting, { selfClosingTags: false });
  if (deep)
    throw new TemplateError([
      {
        field: 'body',
        message: `the generated HTML nests elements more than ${MARKUP_LIMITS.generatedNesting} deep (at <${deep.tag}>); flatten the markup`,
      },
    ]);
}

/** Imported designs may be a fragment; mail clients want a whole document. */
function wrapHtml(body: string): string {
  if (/<body\b/i.test(body)) return body;
  return `<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
${body}
</body></html>`;
}

const SYSTEM_LINK = /^\{\{\s*(unsubscribe_url|webview_url)\s*\}\}$/;

/**
 * Replaces each http(s) href with `{{__click}}<index>` (the message's click
 * base URL, then the link's index), building the link table.
 */
function rewriteLinks(
  html: string,
  track: boolean,
): { html: string; links: TrackedLink[]; insecure: string[]; untracked: number } {
  return indexLinks(html, (link) => (track ? `{{${CLICK_BASE}}}${link.index}` : undefined));
}

/**
 * The links of `html` that tracking takes, numbered: `replace` gets each
 * http(s) href with its index and may return the href to write instead
 * (HTML-safe). Identical URLs share an index. mailto:, tel:, in-page
 * anchors and the unsubscribe and web-view links are left as written.
 */
export function indexLinks(
  html: string,
  replace: (link: TrackedLink) => string | undefined,
): { html: string; links: TrackedLink[]; insecure: string[]; untracked: number } {
  const links: TrackedLink[] = [];
  const byUrl = new Map<string, number>();
  const insecure = new Set<string>();
  let untracked = 0;
  let occurrences = 0;
  const out = mapHrefs(html, ({ url }) => {
    if (SYSTEM_LINK.test(url)) return undefined;
    if (/^http:\/\//i.test(url)) insecure.add(url);
    if (!/^https?:\/\/./i.test(url)) {
      if (/^\{\{/.test(url)) untracked += 1;
      return undefined;
    }
    // Each tracked link becomes an expression in the HTML and the text part, which the expression limit on the source does not see.
    if (++occurrences > MARKUP_LIMITS.links)
      throw new TemplateError([
        {
          field: 'body',
          message: `more than ${MARKUP_LIMITS.links.toLocaleString('en-US')} http(s) links; no message needs that many`,
        },
      ]);
    let index = byUrl.get(url);
    if (index === undefined) {
      index = links.length;
      byUrl.set(url, index);
      links.push({ index, url });
    }
    return replace({ index, url });
  });
  return { html: out, links, insecure: [...insecure], untracked };
}

/**
 * The links click tracking takes in finished HTML (a message that is no
 * template: relayed, or sent through the API), each once, in order of first
 * appearance: the same links a template's tracking takes, written literally
 * (`{{` in a URL is no expression here). Throws TemplateError past
 * `MARKUP_LIMITS.links` links.
 */
export function trackableLinks(html: string): string[] {
  return indexLinks(html, () => undefined).links.map((l) => l.url);
}
