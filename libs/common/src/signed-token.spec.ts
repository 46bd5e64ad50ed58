import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signToken, verifyToken } from './signed-token.js';

describe('signed tokens', () => {
  const key = randomBytes(32);

  it('round-trips a payload and stays URL-safe and compact', () => {
    const token = signToken(key, '123456789');
    expect(token).toMatch(/^123456789\.[A-Za-z0-9_-]{22}$/);
    expect(encodeURIComponent(token)).toBe(token);
    expect(verifyToken(key, token)).toBe('123456789');
  });

  it('is deterministic for a key and payload, and differs between payloads', () => {
    expect(signToken(key, '42')).toBe(signToken(key, '42'));
    expect(signToken(key, '42').split('.')[1]).not.toBe(signToken(key, '43').split('.')[1]);
  });

  it('rejects a token signed with another key', () => {
    expect(verifyToken(randomBytes(32), signToken(key, '42'))).toBeNull();
  });

  it('rejects an altered payload or signature', () => {
    const token = signToken(key, '42');
    const [, sig] = token.split('.');
    expect(verifyToken(key, `43.${sig}`)).toBeNull();
    expect(verifyToken(key, `42.${sig.slice(0, 21)}${sig[21] === 'A' ? 'B' : 'A'}`)).toBeNull();
    expect(verifyToken(key, `42.${sig.slice(0, 20)}`)).toBeNull();
    expect(verifyToken(key, `${token}x`)).toBeNull();
  });

  it('rejects forged, malformed and oversized input without throwing', () => {
    for (const bad of ['', '.', '42', '42.', '.abc', `42.${'A'.repeat(22)}`, 'a.b.c', '42 .x', 'x'.repeat(10_000)]) {
      expect(verifyToken(key, bad)).toBeNull();
    }
  });

  it('refuses payloads outside the URL-safe alphabet', () => {
    expect(() => signToken(key, 'a.b')).toThrow();
    expect(() => signToken(key, '')).toThrow();
    expect(() => signToken(key, 'x'.repeat(65))).toThrow();
  });
});
