import { domainToASCII, domainToUnicode } from 'node:url';
import validator from 'validator';

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
