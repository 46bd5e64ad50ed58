import { describe, expect, it } from 'vitest';
import { compileTemplate, MARKUP_LIMITS, type TemplateSource } from './compile-template.js';
import { afterBodyOpen, escapeTextKeepingMustaches, imagesWithoutAlt, mapHrefs } from './html.js';
import { TemplateError } from './template-error.js';

const options = { publicUrl: 'https://mail.example.org', sender: { address: '1 Main Street, Springfield' } };
const BODY_CHARS = 500 * 1024;

async function compileError(source: TemplateSource): Promise<TemplateError> {
  const error: unknown = await compileTemplate(source, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TemplateError);
  return error as TemplateError;
}

describe('HTML handling', () => {
  // A pattern that rescans the rest of the document at each `<a` took 20 s on 192 KB of this and minutes on 500 KB.
  it.each(['<a ', '<a href="', '<img ', '<body '])(
    'reads 500 KB of unclosed "%s" in one pass, well within the test timeout',
    async (unit) => {
      const body = unit.repeat(Math.floor(BODY_CHARS / unit.length));
      const compiled = await compileTemplate({ subject: 'S', format: 'html', body, preheader: 'Hello' }, options);
      expect(compiled.sources.html.length).toBeGreaterThan(body.length);
    },
  );

  it('rewrites hrefs in place, keeping Handlebars in attributes and everything else byte for byte', () => {
    const html =
      `<p class="x">Hi {{first_name}}</p><A class="{{#if vip}}vip{{/if}}" HREF='https://a.example/{{plan}}?x=1&amp;y=2'>a</A>` +
      `<a href=https://b.example/ title="{{upper 'b'}}">b</a><a name="top">t</a><a href="">e</a>` +
      `<!--[if mso]><a href="https://mso.example/">o</a><![endif]--><!-- <a href="https://note.example/"> -->` +
      `<style>a[href^="https://css.example/"]{}</style>`;
    const seen: string[] = [];
    const out = mapHrefs(html, ({ url }) => {
      seen.push(url);
      return url === '' ? undefined : `{{__click}}${seen.length - 1}`;
    });
    expect(seen).toEqual(['https://a.example/{{plan}}?x=1&y=2', 'https://b.example/', '', 'https://mso.example/']);
    expect(out).toBe(
      `<p class="x">Hi {{first_name}}</p><A class="{{#if vip}}vip{{/if}}" HREF="{{__click}}0">a</A>` +
        `<a href="{{__click}}1" title="{{upper 'b'}}">b</a><a name="top">t</a><a href="">e</a>` +
        `<!--[if mso]><a href="{{__click}}3">o</a><![endif]--><!-- <a href="https://note.example/"> -->` +
        `<style>a[href^="https://css.example/"]{}</style>`,
    );
  });

  it('counts images without alt text and finds the opening <body> past quoted ">"', () => {
    expect(imagesWithoutAlt('<img src="a"><img alt="" src="b"><IMG ALT="{{plan}}"><img alt = " &nbsp;">')).toBe(3);
    expect(afterBodyOpen('<html><body data-x="a>b" class=c>text</body>', '<i>pre</i>')).toBe(
      '<html><body data-x="a>b" class=c><i>pre</i>text</body>',
    );
  });

  it('escapes text around mustaches in one pass, whatever the number of unclosed {{', () => {
    expect(escapeTextKeepingMustaches('a < {{x}} & {{{y}}} > {{ z')).toBe('a &lt; {{x}} &amp; {{{y}}} &gt; {{ z');
    const open = '{{'.repeat(200_000);
    expect(escapeTextKeepingMustaches(`<${open}`)).toBe(`&lt;${open}`);
  });
});

describe('markup limits', () => {
  const mjml = (content: string) =>
    `<mjml><mj-body><mj-section><mj-column>${content}</mj-column></mj-section></mj-body></mjml>`;
  const divs = (n: number) => '<div>'.repeat(n) + 'x' + '</div>'.repeat(n);

  it('refuses 5,000 nested <div> with the line, in MJML and in HTML, instead of overflowing the stack', async () => {
    const inRaw = await compileError({ subject: 'S', format: 'mjml', body: mjml(`\n<mj-raw>${divs(5000)}</mj-raw>`) });
    expect(inRaw.kind).toBe('unprocessable');
    expect(inRaw.problems).toEqual([
      {
        field: 'body',
        line: 2,
        // The 96th <div>: mjml, mj-body, mj-section, mj-column and mj-raw are the first five levels.
        column: '<mj-raw>'.length + 95 * '<div>'.length + 1,
        message: expect.stringMatching(/nested more than 100 deep \(at <div>\); flatten the markup/),
      },
    ]);
    const inHtml = await compileError({ subject: 'S', format: 'html', body: divs(5000) });
    expect(inHtml.problems[0]).toMatchObject({ field: 'body', line: 1 });
  });

  it('refuses markup that only nests once MJML has written it out', async () => {
    // MJML closes <div/>; a browser, and html-to-text, would nest 5,000 deep.
    const error = await compileError({
      subject: 'S',
      format: 'mjml',
      body: mjml(`<mj-raw>${'<div/>'.repeat(5000)}</mj-raw>`),
    });
    expect(error.problems[0].message).toMatch(/generated HTML nests elements more than 200 deep/);
  });

  it('keeps a design at the nesting limit', async () => {
    const compiled = await compileTemplate(
      { subject: 'S', format: 'html', body: divs(MARKUP_LIMITS.nesting - 3) },
      options,
    );
    expect(compiled.sources.text).toContain('x');
  });

  it('refuses more MJML components or links than any message needs', async () => {
    const components = await compileError({
      subject: 'S',
      format: 'mjml',
      body: mjml('<mj-spacer />'.repeat(MARKUP_LIMITS.mjmlComponents)),
    });
    expect(components.problems[0].message).toMatch(/more than 1,000 MJML components/);
    const links = await compileError({
      subject: 'S',
      format: 'html',
      body: '<a href="https://x.example/">x</a>'.repeat(MARKUP_LIMITS.links + 1),
    });
    expect(links.problems[0].message).toMatch(/more than 1,000 http\(s\) links/);
  });
});
