import { type Cipher, createCipheriv, createDecipheriv, type Decipher, hkdfSync, timingSafeEqual } from 'node:crypto';

const BLOCK = 16;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{22}$/;
/** Bumped (with the HKDF label) if the format changes, so old tokens stop verifying. */
const TAG = Buffer.from('HRLDtok1', 'latin1');
const KEY_LABEL = 'herald message token v1';
const MAX_ID = (1n << 63n) - 1n;
/** Ids of up to 15 digits fit a double exactly, which skips a BigInt on the common path. */
const SAFE_DIGITS = 15;
const ID_SHAPE = /^[1-9][0-9]{0,18}$/;

/**
 * Message tokens: the one token per message behind its open pixel, click,
 * unsubscribe and web-view URLs (`/t/o/:token`, `/t/c/:token.<index>`,
 * `/u/:token`, `/w/:token`).
 *
 * A token is a single AES-128 block, base64url-encoded (22 characters):
 * the message id as 8 big-endian bytes followed by a fixed 8-byte tag,
 * encrypted under a key derived from the app secret. AES is a pseudorandom
 * permutation, so without the key
 * - a token cannot be forged or altered: any other 22 characters decrypt to
 *   the tag with probability 2^-64;
 * - tokens cannot be enumerated: consecutive ids give unrelated tokens;
 * - the message id cannot be read from a token.
 * Verifying decrypts the block and compares the tag in constant time.
 *
 * One block costs one AES call, several times cheaper than an HMAC, and this
 * runs once per recipient of every campaign.
 */
export class MessageTokens {
  /*
   * One cipher and one decipher for the life of the key. ECB has no chaining
   * and padding is off, so each update() of exactly one block is an
   * independent AES call and returns that block at once; final() is never
   * called. Calls are synchronous, so no two can interleave.
   */
  private readonly cipher: Cipher;
  private readonly decipher: Decipher;
  private readonly block = Buffer.alloc(BLOCK);

  constructor(secret: Buffer | string) {
    if (secret.length === 0) throw new Error('MessageTokens needs a non-empty secret');
    // A key of its own, bound to this purpose: the app secret may key other things.
    const key = Buffer.from(hkdfSync('sha256', secret, '', KEY_LABEL, 16));
    this.cipher = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
    this.decipher = createDecipheriv('aes-128-ecb', key, null).setAutoPadding(false);
    TAG.copy(this.block, 8);
  }

  /** The token of a message; `messageId` is a bigint identity as a decimal string (1 to 2^63-1). */
  sign(messageId: string): string {
    if (!isMessageId(messageId)) throw new Error('A message id is a decimal bigint identity from 1 to 2^63-1');
    const block = this.block;
    if (messageId.length <= SAFE_DIGITS) {
      const id = Number(messageId);
      block.writeUInt32BE(Math.floor(id / 2 ** 32), 0);
      block.writeUInt32BE(id % 2 ** 32, 4);
    } else {
      block.writeBigUInt64BE(BigInt(messageId), 0);
    }
    return this.cipher.update(block).toString('base64url');
  }

  /** The message id of a token this key made, or null for anything else. Never throws. */
  verify(token: string): string | null {
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return null;
    const bytes = Buffer.from(token, 'base64url');
    // The last of 22 characters carries 4 spare bits: re-encoding rejects
    // the other spellings of the same bytes, so each token has one form.
    if (bytes.length !== BLOCK || bytes.toString('base64url') !== token) return null;
    const plain = this.decipher.update(bytes);
    if (plain.length !== BLOCK || !timingSafeEqual(plain.subarray(8), TAG)) return null;
    const id = plain.readBigUInt64BE(0);
    return id >= 1n && id <= MAX_ID ? id.toString() : null;
  }
}

/** A bigint identity as a canonical decimal string: 1 to 2^63-1, no sign, no leading zero. */
export function isMessageId(value: string): boolean {
  return typeof value === 'string' && ID_SHAPE.test(value) && (value.length <= 18 || BigInt(value) <= MAX_ID);
}
