import { describe, expect, it } from 'vitest';
import { normalizeEmail, normalizeEmailFully } from './email.js';

describe('normalizeEmail', () => {
  it.each([
    ['  Jane.Doe@Example.COM ', 'Jane.Doe@example.com'],
    ['info@bücher.de', 'info@bücher.de'],
    ['info@xn--bcher-kva.de', 'info@bücher.de'],
    ['user+tag@sub.example.co.uk', 'user+tag@sub.example.co.uk'],
  ])('accepts %j as %j', (raw, expected) => {
    expect(normalizeEmail(raw)).toEqual({ ok: true, email: expected });
  });

  it.each([
    '',
    '   ',
    'plainaddress',
    '@example.com',
    'a@',
    'a@b',
    'a b@example.com',
    'a@exa mple.com',
    `${'x'.repeat(250)}@example.com`,
    42,
  ])('rejects %j', (raw) => {
    expect(normalizeEmail(raw).ok).toBe(false);
  });
});

describe('normalizeEmail fast path', () => {
  it('agrees with the full check on every address, valid or not', () => {
    const corpus = [
      'a@example.com',
      'A.B-c+d@Sub.Example.ORG',
      'x@e.co',
      "o'brien@example.ie",
      'first.last@example.museum',
      'a..b@example.com',
      '.a@example.com',
      'a.@example.com',
      'a@-example.com',
      'a@example-.com',
      'a@exa_mple.com',
      'a@example.c',
      'a@example.123',
      'a@123.com',
      'a@example..com',
      'a@.example.com',
      `${'l'.repeat(64)}@example.com`,
      `${'l'.repeat(65)}@example.com`,
      `a@${'d'.repeat(63)}.com`,
      `a@${'d'.repeat(64)}.com`,
      'a@xn--bcher-kva.de',
      'a@bücher.de',
      'ü@example.com',
      '"quoted"@example.com',
      'a b@example.com',
      'a@b@example.com',
      'a@exámple.com',
      'a@EXAMPLE.com',
      'user@localhost',
      'a@example.com.',
      'a@[127.0.0.1]',
      'a!#$%&*+/=?^_`{|}~@example.com',
    ];
    for (const address of corpus) expect(normalizeEmail(address), address).toEqual(normalizeEmailFully(address.trim()));
  });
});
