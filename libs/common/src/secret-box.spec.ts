import { describe, expect, it } from 'vitest';
import { SecretBox, SecretBoxError } from './secret-box.js';

const SECRET = 'a test secret that is long enough to be real';

describe('SecretBox', () => {
  it('opens what it sealed, and never holds the plain text in the sealed bytes', () => {
    const box = new SecretBox(SECRET, 'smtp password');
    const sealed = box.seal('hunter2-is-my-password');
    expect(sealed.toString('latin1')).not.toContain('hunter2');
    expect(box.openText(sealed)).toBe('hunter2-is-my-password');
    // A fresh IV each time: the same value seals differently.
    expect(box.seal('hunter2-is-my-password').equals(sealed)).toBe(false);
  });

  it('refuses a value altered anywhere: version, IV, tag or ciphertext', () => {
    const box = new SecretBox(SECRET, 'smtp password');
    const sealed = box.seal('hunter2-is-my-password');
    for (const at of [0, 1, 13, 29, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[at] ^= 0x01;
      expect(() => box.open(tampered), `byte ${at}`).toThrow(SecretBoxError);
    }
    expect(() => box.open(sealed.subarray(0, 20))).toThrow(SecretBoxError);
  });

  it('refuses a value sealed under another secret or for another purpose', () => {
    const sealed = new SecretBox(SECRET, 'smtp password').seal('x');
    expect(() => new SecretBox(SECRET, 'dkim key').open(sealed)).toThrow(SecretBoxError);
    expect(() => new SecretBox(`${SECRET}!`, 'smtp password').open(sealed)).toThrow(SecretBoxError);
  });
});
