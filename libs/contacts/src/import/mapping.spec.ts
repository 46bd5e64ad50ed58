import { describe, expect, it } from 'vitest';
import { DomainError } from '@herald/common';
import { fieldNameFor, parseMapping, planColumns } from './mapping.js';

function fails(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('planColumns', () => {
  it('recognises Mailchimp, Brevo and Excel headers', () => {
    const mailchimp = planColumns(['Email Address', 'First Name', 'Last Name', 'OPTIN_TIME', 'LEID'], {}, 'ignore');
    expect(mailchimp.map((c) => c.target)).toEqual(['email', 'firstName', 'lastName', 'consentAt']);
    expect(planColumns(['EMAIL', 'FIRSTNAME', 'LASTNAME', 'SMS'], {}, 'ignore')).toHaveLength(3);
    expect(planColumns(['E-Mail', 'Vorname', 'Nachname'], {}, 'ignore').map((c) => c.target)).toEqual([
      'email',
      'firstName',
      'lastName',
    ]);
  });

  it('sends unknown columns to attributes when asked, with valid unique names', () => {
    const plan = planColumns(['email', 'Member Rating', 'member-rating', '2fa', '***'], {}, 'attributes');
    expect(plan.flatMap((c) => (c.target === 'attribute' ? [c.field] : []))).toEqual([
      'member_rating',
      'member_rating_2',
      'f_2fa',
    ]);
  });

  it('lets the explicit mapping win and rejects bad mappings naming the key', () => {
    const plan = planColumns(['Courriel', 'Email'], parseMapping('{"Courriel":"email","Email":"ignore"}'), 'ignore');
    expect(plan).toEqual([{ index: 0, header: 'Courriel', target: 'email' }]);
    expect(fails(() => parseMapping('{nope')).fields).toHaveProperty('mapping');
    expect(fails(() => parseMapping('["email"]')).fields).toHaveProperty('mapping');
    expect(fails(() => parseMapping('{"Mail":"phone"}')).fields?.mapping).toContain('"Mail"');
    expect(fails(() => parseMapping('{"Mail":"attributes.Bad Name"}')).fields).toHaveProperty('mapping');
    expect(fails(() => planColumns(['email'], { Other: 'email' }, 'ignore')).fields?.mapping).toContain('Other');
    expect(fails(() => planColumns(['a', 'b'], { a: 'email', b: 'email' }, 'ignore')).fields).toHaveProperty('mapping');
  });

  it('matches known headers and mapping keys as plain names, never through the object prototype', () => {
    expect(planColumns(['email', 'Constructor', 'toString'], {}, 'ignore')).toEqual([
      { index: 0, header: 'email', target: 'email' },
    ]);
    const plan = planColumns(['email', '__proto__'], parseMapping('{"__proto__":"firstName"}'), 'ignore');
    expect(plan).toEqual([
      { index: 0, header: 'email', target: 'email' },
      { index: 1, header: '__proto__', target: 'firstName' },
    ]);
  });

  it('requires an email column, naming file', () => {
    expect(fails(() => planColumns(['name', 'phone'], {}, 'attributes')).fields).toHaveProperty('file');
  });

  it('normalises field names', () => {
    expect(fieldNameFor('Prénom du client')).toBe('prenom_du_client');
    expect(fieldNameFor('!!!')).toBeUndefined();
    expect(fieldNameFor('x'.repeat(100))).toHaveLength(63);
  });
});
