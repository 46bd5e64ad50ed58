import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Compact, URL-safe signed tokens: `<payload>.<signature>`, where the
 * signature is the first 16 bytes of HMAC-SHA256 over a versioned payload,
 * base64url-encoded (22 characters). 128 bits cannot be guessed, so a token
 * can be neither forged nor enumerated, and changing one character of the
 * payload invalidates it.
 *
 * The payload is kept readable (a message id, say) because the handlers that
 * receive tokens need it before they can look anything up; it carries no
 * secret. It is limited to the base64url alphabet so the token never needs
 * escaping in a URL, a header or HTML.
 */
const PAYLOAD = /^[A-Za-z0-9_-]{1,64}$/;
const SIGNATURE_BYTES = 16;
const SIGNATURE_CHARS = 22;
/** Bumped if the token format changes, so old signatures stop verifying. */
const CONTEXT = 'herald-token-v1:';

function signature(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key)
    .update(CONTEXT + payload)
    .digest()
    .subarray(0, SIGNATURE_BYTES);
}

export function isTokenPayload(payload: string): boolean {
  return PAYLOAD.test(payload);
}

export function signToken(key: Buffer, payload: string): string {
  if (!PAYLOAD.test(payload)) throw new Error('A token payload is 1-64 characters of [A-Za-z0-9_-]');
  return `${payload}.${signature(key, payload).toString('base64url')}`;
}

/** The payload of a token this key signed, or null for anything else. */
export function verifyToken(key: Buffer, token: string): string | null {
  if (typeof token !== 'string' || token.length > 64 + 1 + SIGNATURE_CHARS) return null;
  const dot = token.indexOf('.');
  if (dot <= 0) return null;
  const payload = token.slice(0, dot);
  const given = token.slice(dot + 1);
  if (!PAYLOAD.test(payload) || !/^[A-Za-z0-9_-]{22}$/.test(given)) return null;
  const givenBytes = Buffer.from(given, 'base64url');
  // Re-encoding rejects non-canonical spellings of the same bytes (the last
  // character of 22 carries 2 spare bits), so each signature has one form.
  if (givenBytes.length !== SIGNATURE_BYTES || givenBytes.toString('base64url') !== given) return null;
  return timingSafeEqual(givenBytes, signature(key, payload)) ? payload : null;
}
