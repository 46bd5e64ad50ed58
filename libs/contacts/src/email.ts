import { domainToASCII, domainToUnicode } from 'node:url';
import validator from 'validator';

/** The domain of an address, lower-cased (domains are case-insensitive; local parts may not be). */
export const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/** RFC 5321 caps a forward path at 256 octets including brackets. */
export const MAX_EMAIL_LENGTH = 254;

export type EmailCheck = { ok: true; email: string } | { ok: false; reason: string };

/**
 * Trims and validates an address. The domain is stored lower-cased in its
 * Unicode form (so `bücher.de` and `xn--bcher-kva.de` are one contact); the
 * local part is kept as given, since mailbox names may be case-sensitive.
 */
export function normalizeEmail(raw: unknown): EmailCheck {
  if (typeof raw !== 'string') return { ok: false, reason: 'email must be a string' };
  const trimmed = raw.trim();
  const at = trimmed.lastIndexOf('@');
  if (at > 0 && at <= 64 && trimmed.length <= MAX_EMAIL_LENGTH) {
    const domain = trimmed.slice(at + 1).toLowerCase();
    const email = `${trimmed.slice(0, at)}@${domain}`;
    if (COMMON_ADDRESS.test(email) && !domain.includes('xn--')) return { ok: true, email };
  }
  return normalizeEmailFully(trimmed);
}

/**
 * The shape of nearly every real address: an ASCII dot-atom local part and
 * lower-case letter-digit-hyphen labels under an alphabetic TLD. Whatever it
 * matches (without `xn--` labels, which need converting) the full check
 * accepts unchanged, so it only saves that check's cost on each imported row.
 */
const COMMON_ADDRESS =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** The complete check, for internationalised and unusual addresses. Exported for tests. */
export function normalizeEmailFully(trimmed: string): EmailCheck {
  if (trimmed === '') return { ok: false, reason: 'email is missing' };
  if (trimmed.length > MAX_EMAIL_LENGTH)
    return { ok: false, reason: `email is longer than ${MAX_EMAIL_LENGTH} characters` };
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) return { ok: false, reason: 'email must look like name@example.com' };
  const local = trimmed.slice(0, at);
  const ascii = domainToASCII(trimmed.slice(at + 1).toLowerCase());
  if (ascii === '') return { ok: false, reason: 'email domain is not a valid domain name' };
  if (
    !validator.isEmail(`${local}@${ascii}`, { allow_utf8_local_part: true, require_tld: true, allow_ip_domain: false })
  ) {
    return { ok: false, reason: 'email must look like name@example.com' };
  }
  return { ok: true, email: `${local}@${domainToUnicode(ascii)}` };
}
