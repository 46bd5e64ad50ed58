import { invalid } from '@herald/common';
import { normalizeEmail } from '@herald/contacts';
import validator from 'validator';
import type { SenderSecurity } from './sender.js';

/** Port 465 is SMTP over TLS from the first byte (RFC 8314); nothing else works there. */
export const IMPLICIT_TLS_PORT = 465;

// Whatever would end a header line or smuggle another in: CR, LF and every other control character.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
// A postal address may span lines (it goes into footers, never headers); other controls stay out.
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f]/;
/** Characters that are legal in quoted local parts but that no one puts in a From address, and that break headers. */
const ADDRESS_SPECIALS = /[\s<>()[\]\\,;:"]/;
const SELECTOR = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*$/;

/** A value that goes into a header or an SMTP command: no CR, LF or other control characters. */
export function headerSafe(field: string, value: string): string {
  if (CONTROL.test(value)) {
    throw invalid(`${field} must not contain line breaks or control characters`, {
      [field]: 'contains a line break or control character',
    });
  }
  return value.trim();
}

export function checkPostalAddress(value: string, field = 'postalAddress'): string {
  const lines = value.replace(/\r\n?/g, '\n');
  if (CONTROL_BUT_NEWLINE.test(lines)) {
    throw invalid(`${field} must not contain control characters`, { [field]: 'contains a control character' });
  }
  const trimmed = lines.trim();
  if (trimmed === '')
    throw invalid(`${field} is required: it goes into the footer of every message`, { [field]: 'is empty' });
  return trimmed;
}

/** An address fit for From, Reply-To and the SMTP envelope. */
export function checkAddress(field: string, value: string): string {
  headerSafe(field, value);
  const checked = normalizeEmail(value);
  if (!checked.ok || ADDRESS_SPECIALS.test(checked.email)) {
    throw invalid(`${field} must be an email address such as news@example.com`, {
      [field]: checked.ok ? 'contains characters not allowed in a sending address' : checked.reason,
    });
  }
  return checked.email;
}

/** A host name (`smtp.example.com`, `localhost`) or an IP address. */
export function checkHost(value: string, field = 'host'): string {
  const host = headerSafe(field, value).toLowerCase();
  const ok =
    validator.isIP(host) ||
    validator.isFQDN(host, { require_tld: false, allow_underscores: false, allow_trailing_dot: false });
  if (!ok)
    throw invalid(`${field} must be a host name such as smtp.example.com, or an IP address`, {
      [field]: 'not a host name',
    });
  return host;
}

export function checkDomain(value: string, field = 'dkimDomain'): string {
  const domain = headerSafe(field, value).toLowerCase();
  if (!validator.isFQDN(domain, { require_tld: true })) {
    throw invalid(`${field} must be a domain name such as example.com`, { [field]: 'not a domain name' });
  }
  return domain;
}

export function checkSelector(value: string, field = 'dkimSelector'): string {
  const selector = headerSafe(field, value);
  if (!SELECTOR.test(selector)) {
    throw invalid(`${field} must be letters, digits and hyphens, such as herald or s2026`, {
      [field]: 'not a DKIM selector',
    });
  }
  return selector;
}

/** The canonical IANA name (`Europe/Paris`), as Intl knows it; anything Intl refuses is a 400. */
export function checkTimeZone(value: string, field = 'timeZone'): string {
  try {
    if (CONTROL.test(value) || value.trim() === '') throw new RangeError('empty');
    return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    throw invalid(`${field} must be an IANA time zone such as Europe/Paris or UTC`, { [field]: 'unknown time zone' });
  }
}

/** The security a port implies when none is given, and a refusal where the two cannot work together. */
export function resolveSecurity(port: number, security: SenderSecurity | undefined): SenderSecurity {
  if (port === IMPLICIT_TLS_PORT) {
    if (security !== undefined && security !== 'tls') {
      throw invalid(`port ${IMPLICIT_TLS_PORT} speaks TLS from the first byte: security must be tls`, {
        security: `must be tls on port ${IMPLICIT_TLS_PORT}`,
      });
    }
    return 'tls';
  }
  return security ?? 'starttls';
}
