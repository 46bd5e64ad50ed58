import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isMessageId, MessageTokens } from './signed-token.js';

const MAX_ID = '9223372036854775807';
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const flip = (token: string, at: number) => token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);

describe('message tokens', () => {
  const tokens = new MessageTokens(randomBytes(32));

  it('round-trips message ids across the whole bigint range, in 22 URL-safe characters', () => {
    for (const id of ['1', '42', '123456789', '999999999999999', '1000000000000000', '4294967296', MAX_ID]) {
      const token = tokens.sign(id);
      expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(encodeURIComponent(token)).toBe(token);
      expect(tokens.verify(token)).toBe(id);
    }
  });

  it('is deterministic for a key and id, and gives unrelated tokens for neighbouring ids', () => {
    expect(tokens.sign('42')).toBe(tokens.sign('42'));
    const seen = new Set<string>();
    for (let id = 1; id <= 1000; id += 1) seen.add(tokens.sign(String(id)));
    expect(seen.size).toBe(1000);
    // Neighbours share no common prefix beyond chance: nothing to count up from.
    const [a, b] = [tokens.sign('1000'), tokens.sign('1001')];
    expect(a.slice(0, 6)).not.toBe(b.slice(0, 6));
  });

  it('does not show the message id', () => {
    const id = '1234567890123';
    const token = tokens.sign(id);
    const bytes = Buffer.from(token, 'base64url');
    const plain = Buffer.alloc(8);
    plain.writeBigUInt64BE(BigInt(id));
    expect(bytes.includes(plain.subarray(2))).toBe(false);
    expect(token).not.toContain(id);
    expect(bytes.toString('latin1')).not.toContain('HRLDtok1');
  });

  it('rejects a token made with another secret, and keys derived from equal secrets agree', () => {
    const token = tokens.sign('42');
    expect(new MessageTokens(randomBytes(32)).verify(token)).toBeNull();
    const secret = randomBytes(32);
    expect(new MessageTokens(secret).verify(new MessageTokens(Buffer.from(secret)).sign('42'))).toBe('42');
    expect(new MessageTokens('a string secret').verify(new MessageTokens('a string secret').sign('7'))).toBe('7');
  });

  it('rejects every altered character', () => {
    const token = tokens.sign('42');
    for (let at = 0; at < 22; at += 1) expect(tokens.verify(flip(token, at))).toBeNull();
  });

  it('rejects forged tokens: random blocks almost never decrypt to the tag', () => {
    for (let i = 0; i < 2000; i += 1) expect(tokens.verify(randomBytes(16).toString('base64url'))).toBeNull();
    expect(tokens.verify('A'.repeat(22))).toBeNull();
  });

  it('rejects truncated, extended, non-canonical and malformed input without throwing', () => {
    const token = tokens.sign('42');
    // The last character carries 4 spare bits: the same bytes have other spellings.
    const alias = token.slice(0, 21) + ALPHABET[ALPHABET.indexOf(token[21]) | 1];
    expect(Buffer.from(alias, 'base64url').equals(Buffer.from(token, 'base64url'))).toBe(true);
    expect(tokens.verify(alias)).toBeNull();
    for (const bad of [
      '',
      token.slice(0, 21),
      `${token}A`,
      `${token}=`,
      `${token}==`,
      `${token.slice(0, 21)}+`,
      `/${token.slice(1)}`,
      ` ${token.slice(1)}`,
      `42.${token}`,
      'x'.repeat(10_000),
    ]) {
      expect(tokens.verify(bad)).toBeNull();
    }
    expect(tokens.verify(undefined as unknown as string)).toBeNull();
    expect(tokens.verify(42 as unknown as string)).toBeNull();
  });

  it('rejects a correctly tagged block whose id is out of range', () => {
    // Only the key holder can make one; verify still returns nothing it could not have signed.
    const secret = randomBytes(32);
    const key = Buffer.from(hkdfSync('sha256', secret, '', 'herald message token v1', 16));
    const make = (id: bigint) => {
      const block = Buffer.concat([Buffer.alloc(8), Buffer.from('HRLDtok1')]);
      block.writeBigUInt64BE(id);
      return createCipheriv('aes-128-ecb', key, null).setAutoPadding(false).update(block).toString('base64url');
    };
    const own = new MessageTokens(secret);
    expect(own.verify(make(42n))).toBe('42');
    expect(own.verify(make(0n))).toBeNull();
    expect(own.verify(make(1n << 63n))).toBeNull();
    expect(own.verify(make((1n << 64n) - 1n))).toBeNull();
  });

  it('refuses to sign anything but an id from 1 to 2^63-1 in canonical decimal', () => {
    for (const bad of [
      '',
      '0',
      '-1',
      '01',
      '1.5',
      '1e3',
      ' 1',
      '1 ',
      '+1',
      'abc',
      '9223372036854775808',
      '1'.repeat(20),
    ]) {
      expect(isMessageId(bad)).toBe(false);
      expect(() => tokens.sign(bad)).toThrow(/message id/);
    }
    expect(isMessageId(MAX_ID)).toBe(true);
  });
});
