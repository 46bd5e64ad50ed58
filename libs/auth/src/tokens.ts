import { createHash, randomBytes } from 'node:crypto';

/** Session tokens and API keys are random; only their SHA-256 is stored. */
export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

export const API_KEY_PREFIX = 'hk_';

export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/** `hk_<8-char public prefix>_<secret>`: the prefix identifies a key in lists without revealing it. */
export function newApiKey(): { key: string; prefix: string } {
  const prefix = randomBytes(6).toString('base64url');
  return {
    key: `${API_KEY_PREFIX}${prefix}_${randomBytes(32).toString('base64url')}`,
    prefix: `${API_KEY_PREFIX}${prefix}`,
  };
}
