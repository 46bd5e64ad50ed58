import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;

/** A sealed value that does not open: altered, truncated, or sealed under another key or label. */
export class SecretBoxError extends Error {}

/**
 * Seals small secrets kept at rest (SMTP passwords, DKIM private keys) with
 * AES-256-GCM under a key derived by HKDF from the app secret and a label of
 * the caller's own, so each purpose has its own key and a value sealed for
 * one purpose never opens for another.
 *
 * Format: version byte, 12-byte random IV, 16-byte GCM tag, ciphertext. The
 * version byte is authenticated too, so a changed format cannot be replayed.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(secret: Buffer | string, label: string) {
    if (secret.length === 0) throw new Error('SecretBox needs a non-empty secret');
    if (label.length === 0) throw new Error('SecretBox needs a label naming its purpose');
    this.key = Buffer.from(hkdfSync('sha256', secret, '', `herald secret box v${VERSION}: ${label}`, 32));
  }

  seal(plain: string | Buffer): Buffer {
    const iv = randomBytes(IV_BYTES);
    const header = Buffer.from([VERSION]);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(header);
    const body = Buffer.concat([
      cipher.update(typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain),
      cipher.final(),
    ]);
    return Buffer.concat([header, iv, cipher.getAuthTag(), body]);
  }

  /** The sealed bytes; throws SecretBoxError when the value was altered or sealed under another key. */
  open(sealed: Buffer): Buffer {
    if (sealed.length < HEADER_BYTES || sealed[0] !== VERSION) throw new SecretBoxError('not a sealed value');
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(1, 1 + IV_BYTES));
    decipher.setAAD(sealed.subarray(0, 1));
    decipher.setAuthTag(sealed.subarray(1 + IV_BYTES, HEADER_BYTES));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(HEADER_BYTES)), decipher.final()]);
    } catch {
      throw new SecretBoxError('the sealed value was altered or sealed under another key');
    }
  }

  openText(sealed: Buffer): string {
    return this.open(sealed).toString('utf8');
  }
}
