import { randomBytes } from 'node:crypto';
import type { AppSecret, HeraldConfig } from '@herald/common';
import { describe, expect, it } from 'vitest';
import { type CompiledTemplate, compileTemplate, type TemplateSource } from './compile-template.js';
import { RENDER_LIMITS } from './handlebars.js';
import { MessageRenderer } from './message-renderer.js';
import type { ContactData } from './render.js';
import { RenderLimitError } from './template-error.js';

const renderer = new MessageRenderer(
  { PUBLIC_URL: 'https://mail.example.org' } as HeraldConfig,
  { value: randomBytes(32) } as AppSecret,
);
const FOOTER = '<p>{{sender.address}} <a href="{{unsubscribe_url}}">Unsubscribe</a></p>';
const html = (body: string, extra: Partial<TemplateSource> = {}) =>
  renderer.compile({ subject: 'Hi', format: 'html', body: body + FOOTER, ...extra });
const withAttributes = (count: number, value: (i: number) => unknown = (i) => `v${i}`): ContactData => ({
  email: 'jane@example.com',
  attributes: Object.fromEntries(Array.from({ length: count }, (_, i) => [`a${i}`, value(i)])),
});
const nestedLoops = (depth: number, inner: string) =>
  '{{#each @root.attributes}}'.repeat(depth) + inner + '{{/each}}'.repeat(depth);

function renderError(compiled: CompiledTemplate, contact: ContactData): RenderLimitError {
  let error: unknown;
  try {
    renderer.render(compiled, { messageId: '1', contact });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(RenderLimitError);
  return error as RenderLimitError;
}

describe('render limits', () => {
  it('stops six nested loops over 20 attributes at the iteration limit, then renders a contact with fewer', async () => {
    // 20^6 = 64 million iterations: without a bound this render takes minutes.
    const compiled = await html(`<p>[${nestedLoops(6, 'x')}]</p>`);
    const error = renderError(compiled, withAttributes(20));
    expect(error).toMatchObject({ kind: 'unprocessable', limit: 'iterations', field: 'body' });
    expect(error.fields?.body).toMatch(/ran more than 10,000 times for one message .*nest fewer \{\{#each\}\} blocks/);

    // 3^6 = 729 iterations is fine, and the count starts again for every message.
    const small = renderer.render(compiled, { messageId: '2', contact: withAttributes(3) });
    expect(small.html).toContain(`[${'x'.repeat(3 ** 6)}]`);
  });

  it('names the part the loops are in', async () => {
    const inSubject = await html('<p>ok</p>', { subject: nestedLoops(4, 's') });
    expect(renderError(inSubject, withAttributes(20))).toMatchObject({ field: 'subject', limit: 'iterations' });
    const inText = await html('<p>ok</p>', { textBody: `${nestedLoops(4, 't')} {{unsubscribe_url}}` });
    expect(renderError(inText, withAttributes(20))).toMatchObject({ field: 'textBody', limit: 'iterations' });
  });

  it('stops a loop whose output passes the size limit', async () => {
    const count = 3000;
    expect(count).toBeLessThan(RENDER_LIMITS.iterations);
    const compiled = await html('<p>{{#each attributes}}{{this}}{{/each}}</p>');
    const error = renderError(
      compiled,
      withAttributes(count, () => 'x'.repeat(2000)),
    );
    expect(error).toMatchObject({ limit: 'characters', field: 'body' });
    expect(error.message).toMatch(/longer than 5,000,000 characters/);
  });

  it('stops a loop that renders too slowly, checking the time as it iterates', async () => {
    // 9,000 iterations of 1,000 date formats each: seconds of work, under the iteration limit.
    const compiled = await html(`<p>{{#each attributes}}${'{{date this "full"}}'.repeat(1000)}{{/each}}</p>`);
    const error = renderError(
      compiled,
      withAttributes(9000, () => '2024-03-05'),
    );
    expect(error).toMatchObject({ limit: 'time', field: 'body' });
    expect(error.fields?.body).toMatch(/took longer than 250 ms/);
  });

  it('bounds mustache-style sections over arrays, which iterate like {{#each}}', async () => {
    const compiled = await html(
      `<p>{{#list}}{{#@root.list}}{{#@root.list}}y{{/@root.list}}{{/@root.list}}{{/list}}</p>`,
    );
    const contact = { email: 'jane@example.com', attributes: { list: Array.from({ length: 30 }, (_, i) => i) } };
    expect(renderError(compiled, contact)).toMatchObject({ limit: 'iterations' });
  });

  it('leaves templates without loops untouched', async () => {
    const compiled = await compileTemplate(
      { subject: 'Hi {{first_name}}', format: 'html', body: `<p>{{first_name}}</p>${FOOTER}` },
      { publicUrl: 'https://mail.example.org', sender: { address: '1 Main Street' } },
    );
    expect(
      renderer.render(compiled, { messageId: '3', contact: { email: 'a@example.com', first_name: 'Al' } }).subject,
    ).toBe('Hi Al');
  });
});
