import { DomainError } from '@herald/common';
import { describe, expect, it } from 'vitest';
import {
  checkAddress,
  checkHost,
  checkPostalAddress,
  checkSelector,
  checkTimeZone,
  headerSafe,
  resolveSecurity,
} from './sender-input.js';

const fieldsOf = (fn: () => unknown): Record<string, string> | undefined => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.fields;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('sender input checks', () => {
  it('refuses CR, LF and other controls in header values, naming the field', () => {
    expect(fieldsOf(() => headerSafe('fromName', 'Acme\r\nBcc: victim@example.com'))).toHaveProperty('fromName');
    expect(fieldsOf(() => headerSafe('name', 'tab\there'))).toHaveProperty('name');
    expect(headerSafe('fromName', '  Acme News ')).toBe('Acme News');
  });

  it('accepts real addresses and refuses broken or header-unsafe ones', () => {
    expect(checkAddress('fromEmail', 'News@Example.COM')).toBe('News@example.com');
    expect(fieldsOf(() => checkAddress('fromEmail', 'news@example.com\r\nBcc: x@example.com'))).toHaveProperty(
      'fromEmail',
    );
    expect(fieldsOf(() => checkAddress('replyTo', 'not an address'))).toHaveProperty('replyTo');
    expect(fieldsOf(() => checkAddress('replyTo', '"a,b"@example.com'))).toHaveProperty('replyTo');
  });

  it('takes a multi-line postal address but no other control characters', () => {
    expect(checkPostalAddress('1 Main St\r\nSpringfield ')).toBe('1 Main St\nSpringfield');
    expect(fieldsOf(() => checkPostalAddress('   '))).toHaveProperty('postalAddress');
    expect(fieldsOf(() => checkPostalAddress('1 Main St\u0007'))).toHaveProperty('postalAddress');
  });

  it('checks hosts, selectors and time zones', () => {
    expect(checkHost('SMTP.Example.com')).toBe('smtp.example.com');
    expect(checkHost('localhost')).toBe('localhost');
    expect(checkHost('192.0.2.10')).toBe('192.0.2.10');
    expect(fieldsOf(() => checkHost('smtp example com'))).toHaveProperty('host');
    expect(checkSelector('s2026')).toBe('s2026');
    expect(fieldsOf(() => checkSelector('bad_selector!'))).toHaveProperty('dkimSelector');
    expect(checkTimeZone('Europe/Paris')).toBe('Europe/Paris');
    expect(fieldsOf(() => checkTimeZone('Mars/Olympus_Mons'))).toHaveProperty('timeZone');
  });

  it('makes port 465 TLS and refuses another security there', () => {
    expect(resolveSecurity(465, undefined)).toBe('tls');
    expect(resolveSecurity(587, undefined)).toBe('starttls');
    expect(resolveSecurity(25, 'none')).toBe('none');
    expect(fieldsOf(() => resolveSecurity(465, 'starttls'))).toHaveProperty('security');
  });
});
