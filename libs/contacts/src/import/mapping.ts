import { invalid } from '@herald/common';
import { FIELD_NAME_PATTERN } from '../attributes.js';

/** The contact properties a CSV column can fill. */
export const CORE_TARGETS = ['email', 'firstName', 'lastName', 'consentSource', 'consentAt', 'status'] as const;
export type CoreTarget = (typeof CORE_TARGETS)[number];

/** What the caller may write as a value in `mapping`. */
export type MappingTarget = CoreTarget | `attributes.${string}` | 'ignore';

export type UnknownColumns = 'ignore' | 'attributes';

/** One CSV column and what it fills, by position in the header. */
export type ColumnPlan =
  | { index: number; header: string; target: CoreTarget }
  | { index: number; header: string; target: 'attribute'; field: string };

/**
 * Header spellings of common exports, compared after lower-casing and
 * dropping everything but letters and digits: Mailchimp (`Email Address`,
 * `First Name`, `OPTIN_TIME`), Brevo (`EMAIL`, `FIRSTNAME`, `PRENOM`), Excel
 * and German/French exports (`E-Mail`, `Vorname`, `Courriel`).
 */
const KNOWN_HEADERS: Record<string, CoreTarget> = {
  email: 'email',
  emailaddress: 'email',
  mail: 'email',
  emailadresse: 'email',
  courriel: 'email',
  correo: 'email',
  correoelectronico: 'email',
  firstname: 'firstName',
  first: 'firstName',
  fname: 'firstName',
  givenname: 'firstName',
  prenom: 'firstName',
  vorname: 'firstName',
  lastname: 'lastName',
  last: 'lastName',
  lname: 'lastName',
  surname: 'lastName',
  familyname: 'lastName',
  nom: 'lastName',
  nachname: 'lastName',
  optintime: 'consentAt',
  consentat: 'consentAt',
  consentsource: 'consentSource',
};

function headerKey(header: string): string {
  return header
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/** A custom field name for a free-form header: `Member Rating` → `member_rating`. */
export function fieldNameFor(header: string): string | undefined {
  let name = header
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (name === '') return undefined;
  if (!/^[a-z]/.test(name)) name = `f_${name}`;
  name = name.slice(0, 63).replace(/_+$/, '');
  return FIELD_NAME_PATTERN.test(name) ? name : undefined;
}

/**
 * Reads the `mapping` form field: a JSON object from CSV header to target.
 * Anything else is a 400 naming `mapping` and the key at fault.
 */
export function parseMapping(raw: string | undefined): Record<string, MappingTarget> {
  if (raw === undefined || raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw invalid('mapping must be a JSON object such as {"E-Mail": "email"}', { mapping: 'not valid JSON' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('mapping must be a JSON object from CSV header to target', { mapping: 'not a JSON object' });
  }
  // No prototype: a column named `__proto__` must be an ordinary key, not a setter.
  const out: Record<string, MappingTarget> = Object.create(null) as Record<string, MappingTarget>;
  for (const [header, target] of Object.entries(value as Record<string, unknown>)) {
    if (typeof target !== 'string' || !isTarget(target)) {
      throw invalid(`mapping["${header}"] must be one of ${CORE_TARGETS.join(', ')}, attributes.<field> or ignore`, {
        mapping: `"${header}": unknown target ${JSON.stringify(target)}`,
      });
    }
    out[header] = target;
  }
  return out;
}

function isTarget(target: string): target is MappingTarget {
  if (target === 'ignore' || (CORE_TARGETS as readonly string[]).includes(target)) return true;
  return target.startsWith('attributes.') && FIELD_NAME_PATTERN.test(target.slice('attributes.'.length));
}

/**
 * Decides what each column fills: the explicit mapping first, then the
 * known export headers, then (when asked) a text attribute named after the
 * header. Fails with 400 when the mapping names a column the file lacks,
 * when two columns fill the same target, or when no column holds the email.
 */
export function planColumns(
  header: string[],
  mapping: Record<string, MappingTarget>,
  unknownColumns: UnknownColumns,
): ColumnPlan[] {
  const plan = assignColumns(header, mapping, unknownColumns);
  if (!plan.some((c) => c.target === 'email')) {
    throw invalid('the file has no email column; name it in mapping, e.g. {"Courriel": "email"}', {
      file: `no email column among: ${header.slice(0, 20).join(', ') || '(no columns)'}`,
    });
  }
  return plan;
}

/**
 * `planColumns` without requiring an email column: what an import would
 * make of each column, for a preview the user may still correct.
 */
export function assignColumns(
  header: string[],
  mapping: Record<string, MappingTarget>,
  unknownColumns: UnknownColumns,
): ColumnPlan[] {
  for (const key of Object.keys(mapping)) {
    if (!header.includes(key)) {
      throw invalid(`mapping names the column "${key}", which the file does not have`, {
        mapping: `"${key}" is not a column of the file (columns: ${header.slice(0, 20).join(', ')})`,
      });
    }
  }
  const plan: ColumnPlan[] = [];
  const taken = new Map<string, string>();
  const claim = (target: string, column: string, explicit: boolean): boolean => {
    const holder = taken.get(target);
    if (holder === undefined) {
      taken.set(target, column);
      return true;
    }
    if (explicit) {
      throw invalid(`the columns "${holder}" and "${column}" are both mapped to ${target}`, {
        mapping: `"${column}": ${target} is already filled by "${holder}"`,
      });
    }
    return false;
  };

  // Explicit entries claim their targets before any guess does.
  const seen = new Set<string>();
  header.forEach((name, index) => {
    const target = Object.hasOwn(mapping, name) && !seen.has(name) ? mapping[name] : undefined;
    seen.add(name);
    if (target === undefined || target === 'ignore') return;
    if (target.startsWith('attributes.')) {
      const field = target.slice('attributes.'.length);
      claim(`attributes.${field}`, name, true);
      plan.push({ index, header: name, target: 'attribute', field });
    } else {
      claim(target, name, true);
      plan.push({ index, header: name, target: target as CoreTarget });
    }
  });
  header.forEach((name, index) => {
    if (Object.hasOwn(mapping, name)) return;
    // Own keys only: a header `Constructor` must not find Object.prototype.constructor.
    const key = headerKey(name);
    const known = Object.hasOwn(KNOWN_HEADERS, key) ? KNOWN_HEADERS[key] : undefined;
    if (known && claim(known, name, false)) {
      plan.push({ index, header: name, target: known });
      return;
    }
    if (unknownColumns !== 'attributes') return;
    const base = fieldNameFor(name);
    if (!base) return;
    let field = base;
    for (let n = 2; taken.has(`attributes.${field}`); n += 1) field = `${base.slice(0, 60)}_${n}`;
    claim(`attributes.${field}`, name, false);
    plan.push({ index, header: name, target: 'attribute', field });
  });

  return plan.sort((a, b) => a.index - b.index);
}
