import { describe, expect, it } from 'vitest';
import { findUnsafeInput, MAX_INPUT_DEPTH } from './input-hygiene.js';

const nested = (levels: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { a: value };
  return value;
};

describe('findUnsafeInput', () => {
  it('accepts ordinary text, emoji (paired surrogates) and the nesting real inputs have', () => {
    const body = {
      name: 'Frühling 🌸',
      rules: { all: [{ any: [{ field: 'email', op: 'eq', value: 'a@example.com' }] }] },
    };
    expect(findUnsafeInput(body, 'body')).toBeUndefined();
    expect(findUnsafeInput(nested(MAX_INPUT_DEPTH), 'body')).toBeUndefined();
    expect(findUnsafeInput(undefined, 'body')).toBeUndefined();
  });

  it.each([
    ['NUL in a top-level field', { name: 'a\u0000b' }, 'name', /NUL/],
    ['NUL deep in a rule', { rules: { all: [{ value: 'x\u0000' }] } }, 'rules.all[0].value', /NUL/],
    ['a lone high surrogate', { attributes: { city: 'Z\ud800rich' } }, 'attributes.city', /unpaired surrogate/],
    ['a lone low surrogate at the end', { q: 'x\udc00' }, 'q', /unpaired surrogate/],
    ['a reversed pair', { q: '\udc00\ud800' }, 'q', /unpaired surrogate/],
    ['NUL in a key', { attributes: { 'a\u0000': 1 } }, 'attributes.a\ufffd', /name that must not contain a NUL/],
    ['a bare string', 'x\u0000', 'body', /NUL/],
    ['an item of a list', { contactIds: ['1', '\ud83d'] }, 'contactIds[1]', /unpaired/],
  ])('names the field for %s', (_label, value, field, reason) => {
    const problem = findUnsafeInput(value, 'body');
    expect(problem?.field).toBe(field);
    expect(problem?.reason).toMatch(reason);
  });

  it('refuses 5,000 levels of nesting by naming the top-level field, without overflowing', () => {
    expect(findUnsafeInput({ rules: nested(5000) }, 'body')).toEqual({
      field: 'rules',
      reason: `is nested more than ${MAX_INPUT_DEPTH} levels deep`,
    });
    const root = JSON.parse('['.repeat(5000) + ']'.repeat(5000));
    expect(findUnsafeInput(root, 'body')?.field).toBe('body');
  });
});
