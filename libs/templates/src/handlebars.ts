import Handlebars from 'handlebars';
import {
  type RenderLimit,
  RenderLimitError,
  type TemplateField,
  TemplateError,
  type TemplateProblem,
} from './template-error.js';

/**
 * Herald's own Handlebars environment: isolated from the global one (no
 * helper or partial registered elsewhere in the process is visible), with a
 * fixed set of helpers and no way to reach prototypes. Templates are written
 * by marketers; the values they render come from contacts and are hostile.
 */
const hbs = Handlebars.create();
// `log` writes to the server console: nothing a template should reach. It is
// replaced rather than unregistered (and refused at compile time through
// KNOWN_HELPERS): deleting a key puts the helper table in V8's slow
// dictionary mode, and Handlebars copies that table on every render.
hbs.registerHelper('log', () => '');

type Scalar = string | number | boolean | null | undefined;

const isBlank = (value: unknown): boolean =>
  value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

const text = (value: unknown): string => (isBlank(value) ? '' : String(value as Scalar));

/**
 * Dates render in UTC with a fixed locale so a campaign reads the same for
 * every recipient whatever server sends it. Formatters are built once:
 * building an Intl.DateTimeFormat costs far more than using one.
 */
const LOCALE = 'en-US';
const DATE_FORMATS: Record<string, (d: Date) => string> = {
  short: formatter({ dateStyle: 'short' }),
  medium: formatter({ dateStyle: 'medium' }),
  long: formatter({ dateStyle: 'long' }),
  full: formatter({ dateStyle: 'full' }),
  time: formatter({ timeStyle: 'short' }),
  datetime: formatter({ dateStyle: 'medium', timeStyle: 'short' }),
  year: (d) => String(d.getUTCFullYear()),
  iso: (d) => d.toISOString().slice(0, 10),
};
export const DATE_FORMAT_NAMES = Object.keys(DATE_FORMATS);

function formatter(options: Intl.DateTimeFormatOptions): (d: Date) => string {
  const f = new Intl.DateTimeFormat(LOCALE, { ...options, timeZone: 'UTC' });
  return (d) => f.format(d);
}

function toDate(value: unknown): Date | undefined {
  if (value === 'now') return new Date();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value === 'number' || (typeof value === 'string' && value.trim() !== '')) {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

/*
 * Helpers never throw while rendering: a message must not fail for one
 * contact's data. Their arguments are checked when the template is saved
 * (see HELPER_ARITY below).
 */

/** `{{default first_name "there"}}`: the value, or the fallback when it is missing or blank. */
function defaultHelper(value: unknown, fallback: unknown): unknown {
  return isBlank(value) ? fallback : value;
}

/** `{{date signup_date "long"}}` (format optional, "medium" by default); `{{date "now" "year"}}`. */
function dateHelper(...args: unknown[]): string {
  const format =
    args.length >= 3 && typeof args[1] === 'string' && Object.hasOwn(DATE_FORMATS, args[1]) ? args[1] : 'medium';
  const date = toDate(args[0]);
  return date ? DATE_FORMATS[format](date) : '';
}

const HELPERS = {
  default: defaultHelper,
  date: dateHelper,
  upper: (value: unknown) => text(value).toUpperCase(),
  lower: (value: unknown) => text(value).toLowerCase(),
  urlencode: (value: unknown) => encodeURIComponent(text(value)),
};
hbs.registerHelper(HELPERS);

/** Number of positional arguments each helper takes: [min, max]. */
const HELPER_ARITY: Record<string, [number, number]> = {
  default: [2, 2],
  date: [1, 2],
  upper: [1, 1],
  lower: [1, 1],
  urlencode: [1, 1],
  if: [1, 1],
  unless: [1, 1],
  each: [1, 1],
  with: [1, 1],
  lookup: [2, 2],
};

/** Helpers a template may call; anything else fails at compile time. */
const KNOWN_HELPERS = {
  ...Object.fromEntries(Object.keys(HELPERS).map((name) => [name, true])),
  if: true,
  unless: true,
  each: true,
  with: true,
  lookup: true,
  log: false,
};

/*
 * Prototype access: Handlebars (>= 4.6) denies every prototype property and
 * method, and calls to a missing helper, unless runtime options allow them.
 * Renders pass no runtime options, so those defaults hold; passing them
 * explicitly would only rebuild the access tables on every call. The
 * prototype tests in compile-template.spec.ts pin this behaviour.
 */

export type RenderData = Record<string, unknown>;

/**
 * Marks a value Herald itself produced (tracking URLs) as needing no
 * escaping, which saves scanning it at each of a message's links. Only
 * values that escaping would leave unchanged are marked, so the output is
 * the same either way; contact data never goes through here.
 */
export function preEscaped(value: string): string | Handlebars.SafeString {
  return hbs.escapeExpression(value) === value ? new hbs.SafeString(value) : value;
}
export type Renderer = (data: RenderData) => string;

export interface CompileTarget {
  field: TemplateField;
  /** HTML output escapes every value; subject and text output is plain text. */
  escape: boolean;
}

/**
 * Bounds on rendering one message (or one part). A template is small, but
 * `{{#each}}` blocks multiply: six nested loops over 20 attributes are 64
 * million iterations. Loops are the only construct that repeats (no
 * partials, no recursion), so counting their iterations, the text they
 * produce and, every few iterations, the time spent bounds the cost of any
 * template; the count is a few additions per iteration. Past a bound the
 * render stops with a RenderLimitError (422).
 */
export const RENDER_LIMITS = { iterations: 10_000, characters: 5_000_000, milliseconds: 250 } as const;
const TIME_CHECK_EVERY = 16;

/** What the render in progress has used. Rendering is synchronous and never nested, so one record serves every call. */
const spent = { iterations: 0, characters: 0, startedAt: 0, field: 'body' as TemplateField };

const fmt = (n: number) => n.toLocaleString('en-US');
const LIMIT_ADVICE: Record<RenderLimit, string> = {
  iterations:
    `its {{#each}} blocks ran more than ${fmt(RENDER_LIMITS.iterations)} times for one message ` +
    '(nested loops multiply); loop over fewer values or nest fewer {{#each}} blocks',
  characters:
    `one message would be longer than ${fmt(RENDER_LIMITS.characters)} characters; ` +
    'shorten the template or loop over fewer values',
  time:
    `rendering one message took longer than ${RENDER_LIMITS.milliseconds} ms; ` +
    'loop over fewer values or render less inside each {{#each}} block',
};

function overLimit(limit: RenderLimit): never {
  throw new RenderLimitError(limit, spent.field, LIMIT_ADVICE[limit]);
}

function beginRender(field: TemplateField): void {
  spent.iterations = 0;
  spent.characters = 0;
  spent.field = field;
}

function checkOutput(characters: number): void {
  if (characters > RENDER_LIMITS.characters) overLimit('characters');
}

const builtInEach = hbs.helpers.each;
hbs.registerHelper('each', function each(this: unknown, context: unknown, options: Handlebars.HelperOptions) {
  const iteration = options.fn;
  options.fn = (item: unknown, runtime?: Handlebars.RuntimeOptions) => {
    spent.iterations += 1;
    if (spent.iterations > RENDER_LIMITS.iterations) overLimit('iterations');
    // The clock starts at the first iteration: without loops the work is bounded by TEMPLATE_LIMITS alone.
    if (spent.iterations === 1) spent.startedAt = performance.now();
    else if (
      spent.iterations % TIME_CHECK_EVERY === 0 &&
      performance.now() - spent.startedAt > RENDER_LIMITS.milliseconds
    )
      overLimit('time');
    // Nested loops counted their own output; this iteration's text contains it, so it replaces it.
    const before = spent.characters;
    const out = iteration(item, runtime);
    spent.characters = before + out.length;
    checkOutput(spent.characters);
    return out;
  };
  return builtInEach.call(this, context, options) as string;
});

const COMPILE_OPTIONS = { knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true, strict: false } as const;

/** Compiles and runs once on empty data, so compile-time and arity errors surface now, not per recipient. */
export function compileHandlebars(source: string, target: CompileTarget): Renderer {
  const template = hbs.compile<RenderData>(source, { ...COMPILE_OPTIONS, noEscape: !target.escape });
  const render: Renderer = (data) => {
    beginRender(target.field);
    const out = template(data);
    checkOutput(out.length);
    return out;
  };
  try {
    render({});
  } catch (error) {
    throw new TemplateError([problem(target.field, error)]);
  }
  return render;
}

/** The three parts of one message, as rendered (the subject not yet made header-safe). */
export interface MessageParts {
  subject: string;
  html: string;
  text: string;
}
export type PartsRenderer = (data: RenderData) => MessageParts;

/**
 * The block helper through which one template call yields all three parts:
 * it renders its block (the subject or the text part) into the message
 * being rendered and outputs nothing, so the template's own output is the
 * HTML alone. Marketer templates cannot reach it: `inspectSource` refuses
 * the name, and they compile with `knownHelpersOnly` without it.
 */
const CAPTURE = '__part';

/** The message being rendered, and the field its text part came from. */
let capturing: MessageParts | undefined;
let capturingTextField: TemplateField = 'body';

hbs.registerHelper(CAPTURE, function capture(this: unknown, part: unknown, options: Handlebars.HelperOptions) {
  if (capturing && (part === 'subject' || part === 'text')) {
    spent.field = part === 'subject' ? 'subject' : capturingTextField;
    capturing[part] = options.fn(this);
    spent.field = 'body';
  }
  return '';
});

/**
 * One Handlebars template for all three parts of a message, so a recipient
 * costs one template call instead of three (each call has a fixed setup
 * cost): `{{#__part "subject"}}<subject>{{/__part}}{{#__part "text"}}<text>{{/__part}}<html>`.
 * Nothing is joined and split again, so no contact value can move a
 * boundary, and the HTML is never copied or searched.
 *
 * Each part is parsed on its own (whitespace control and standalone lines
 * behave exactly as in a separate compile), then the mustaches of the plain
 * text parts are marked unescaped, which is what `noEscape` does for a whole
 * template; the HTML keeps escaping every value. Call this only with sources
 * that already compiled one by one (`compileHandlebars`), which is where
 * errors are reported against the marketer's own lines. `textField` names
 * the field the text part came from, for render limit errors.
 */
export function partsRenderer(sources: MessageParts, textField: TemplateField): PartsRenderer {
  const program = hbs.parse(`{{#${CAPTURE} "subject"}}-{{/${CAPTURE}}}{{#${CAPTURE} "text"}}-{{/${CAPTURE}}}`);
  const [subject, text] = program.body as hbs.AST.BlockStatement[];
  subject.program.body = plainText(hbs.parse(sources.subject)).body;
  text.program.body = plainText(hbs.parse(sources.text)).body;
  // concat, not push(...): spreading a long body as arguments overflows the stack.
  program.body = program.body.concat(hbs.parse(sources.html).body);
  // Standalone lines were handled part by part above; compiling an AST runs
  // whitespace control again, which must then only redo the (idempotent)
  // `~` stripping, not judge standalone lines across part boundaries.
  const template = hbs.compile<RenderData>(program, {
    ...COMPILE_OPTIONS,
    knownHelpers: { ...KNOWN_HELPERS, [CAPTURE]: true },
    noEscape: false,
    ignoreStandalone: true,
  });
  const render: PartsRenderer = (data) => {
    const parts: MessageParts = { subject: '', html: '', text: '' };
    capturing = parts;
    capturingTextField = textField;
    beginRender('body');
    try {
      parts.html = template(data);
    } finally {
      capturing = undefined;
    }
    checkOutput(parts.subject.length + parts.html.length + parts.text.length);
    return parts;
  };
  render({});
  return render;
}

/** Marks every mustache of a plain-text part unescaped, nested blocks included. */
function plainText(program: hbs.AST.Program): hbs.AST.Program {
  for (const node of program.body) {
    if (node.type === 'MustacheStatement') (node as hbs.AST.MustacheStatement).escaped = false;
    else if (node.type === 'BlockStatement') {
      const block = node as hbs.AST.BlockStatement;
      if (block.program) plainText(block.program);
      if (block.inverse) plainText(block.inverse);
    }
  }
  return program;
}

interface Located {
  lineNumber?: number;
  column?: number;
}

/** Turns a Handlebars parse or compile error into a problem with line and column (1-based). */
function problem(field: TemplateField, error: unknown): TemplateProblem {
  const e = error as Error & Located;
  const raw = String(e.message ?? error);
  if (raw.startsWith('Parse error') || raw.startsWith('Lexical error')) {
    // The parser puts the position only in its message; its lexer still holds it.
    const loc = (hbs as unknown as { Parser: { lexer: { yylloc?: { first_line: number; first_column: number } } } })
      .Parser.lexer.yylloc;
    const expecting = /Expecting (.*), got (.*)$/m.exec(raw);
    const message = expecting ? `unexpected ${expecting[2]}, expecting ${expecting[1]}` : raw.split('\n')[0];
    return { field, line: loc?.first_line, column: loc ? loc.first_column + 1 : undefined, message };
  }
  const message = raw.replace(/ - \d+:\d+$/, '');
  return {
    field,
    line: e.lineNumber,
    column: e.column === undefined ? undefined : e.column + 1,
    message,
  };
}

/**
 * Bounds on one field, checked before Handlebars sees it. Its parser slows
 * down with the square of block nesting (4,000 nested `{{#if}}` take seconds,
 * 30,000 take minutes) and compiling costs about 0.1 ms per expression, all
 * on the event loop: a single saved template must not be able to stall the
 * process. Real templates stay far below both.
 */
export const TEMPLATE_LIMITS = { expressions: 5000, nesting: 50 } as const;

// Every `{{`, with what opens or closes a block: `#` and `^name` open one, `/` closes it (`{{^}}` is an else).
const EXPRESSION_START = /\{\{~?\s*(#|\^(?!\s*~?\}\})|\/)?/g;

function checkSize(source: string, field: TemplateField): void {
  let expressions = 0;
  let depth = 0;
  for (const m of source.matchAll(EXPRESSION_START)) {
    expressions += 1;
    if (m[1] === '/') depth -= 1;
    else if (m[1] !== undefined) depth += 1;
    const message =
      expressions > TEMPLATE_LIMITS.expressions
        ? `more than ${TEMPLATE_LIMITS.expressions} {{ }} expressions`
        : depth > TEMPLATE_LIMITS.nesting
          ? `blocks nested more than ${TEMPLATE_LIMITS.nesting} deep`
          : undefined;
    if (message) {
      const before = source.slice(0, m.index);
      const line = before.split('\n').length;
      throw new TemplateError([{ field, line, column: m.index - before.lastIndexOf('\n'), message }]);
    }
  }
}

export interface SourceFacts {
  /** Every variable path used, e.g. `first_name`, `sender.address`. */
  paths: Set<string>;
}

/**
 * Parses a template and checks what the grammar alone allows but Herald does
 * not: partials and decorators (nothing to include), and, in HTML output,
 * triple-stash `{{{ }}}` or `{{& }}`, which would let a contact value inject
 * markup. Throws a problem with line and column.
 */
export function inspectSource(source: string, target: CompileTarget): SourceFacts {
  checkSize(source, target.field);
  let program: hbs.AST.Program;
  try {
    program = hbs.parse(source);
  } catch (error) {
    throw new TemplateError([problem(target.field, error)]);
  }
  const paths = new Set<string>();
  const fail = (node: hbs.AST.Node, message: string): never => {
    throw new TemplateError([
      {
        field: target.field,
        line: node.loc?.start.line,
        column: node.loc ? node.loc.start.column + 1 : undefined,
        message,
      },
    ]);
  };
  const visit = (node: hbs.AST.Node | undefined | null): void => {
    if (!node) return;
    switch (node.type) {
      case 'Program':
        (node as hbs.AST.Program).body.forEach(visit);
        return;
      case 'PartialStatement':
      case 'PartialBlockStatement':
        fail(node, 'partials ({{> name}}) are not available in Herald templates');
        return;
      case 'Decorator':
      case 'DecoratorBlock':
        fail(node, 'decorators ({{* name}}) are not available in Herald templates');
        return;
      case 'MustacheStatement': {
        const m = node as hbs.AST.MustacheStatement;
        if (target.escape && !m.escaped)
          fail(node, 'triple braces {{{ }}} and {{& }} are not allowed: every value is HTML-escaped; use {{ }}');
        visitCall(m);
        return;
      }
      case 'BlockStatement': {
        const b = node as hbs.AST.BlockStatement;
        visitCall(b);
        visit(b.program);
        visit(b.inverse);
        return;
      }
      case 'SubExpression':
        visitCall(node as hbs.AST.SubExpression);
        return;
      case 'PathExpression':
        paths.add((node as hbs.AST.PathExpression).original);
        return;
      default:
        return;
    }
  };
  const visitCall = (node: hbs.AST.MustacheStatement | hbs.AST.BlockStatement | hbs.AST.SubExpression) => {
    const name = node.path.type === 'PathExpression' ? (node.path as hbs.AST.PathExpression).original : undefined;
    if (name === CAPTURE) fail(node, `${CAPTURE} is reserved by Herald`);
    const arity = name !== undefined && Object.hasOwn(HELPER_ARITY, name) ? HELPER_ARITY[name] : undefined;
    if (name !== undefined && arity) {
      const [min, max] = arity;
      const count = node.params.length;
      if (count < min || count > max)
        fail(
          node,
          `${name} takes ${min === max ? min : `${min} or ${max}`} argument(s), not ${count}` +
            (count === 0 ? ` (a field named "${name}" is available as {{attributes.${name}}})` : ''),
        );
      if (name === 'date' && node.params[1]?.type === 'StringLiteral') {
        const format = (node.params[1] as hbs.AST.StringLiteral).value;
        if (!Object.hasOwn(DATE_FORMATS, format))
          fail(node, `unknown date format "${format}"; use one of ${DATE_FORMAT_NAMES.join(', ')}`);
      }
    } else {
      visit(node.path);
    }
    node.params.forEach(visit);
    node.hash?.pairs.forEach((pair) => visit(pair.value));
  };
  visit(program);
  return { paths };
}

/**
 * Renders a stored link whose URL contains personalisation
 * (`https://shop.example/?e={{email}}`) for one contact, with every value
 * URL-encoded so a contact value can only ever fill a component of the URL.
 */
export function compileLinkUrl(url: string): (data: RenderData) => string {
  const render = compileHandlebars(url, { field: 'body', escape: false });
  return (data) => render(encodeValues(data));
}

function encodeValues(data: RenderData): RenderData {
  const out: RenderData = {};
  for (const [key, value] of Object.entries(data)) {
    if (typeof value === 'string') out[key] = encodeURIComponent(value);
    else if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date))
      out[key] = encodeValues(value as RenderData);
    else out[key] = value;
  }
  return out;
}
