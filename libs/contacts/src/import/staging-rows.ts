import { coerceAttribute, type FieldType, MAX_TEXT_LENGTH } from '../attributes.js';
import { normalizeEmail } from '../email.js';
import { CONTACT_STATUSES } from '../status.js';
import { copyText } from './copy-batch.js';
import { MAX_FIELD_CHARS } from './csv-format.js';
import type { ColumnPlan } from './mapping.js';

/** A column with everything the per-row check needs resolved once. */
export type Column = ColumnPlan & { type?: FieldType; label: string };

/** Why one row is skipped; the import goes on. */
export class RowError extends Error {}

const STATUSES: ReadonlySet<string> = new Set(CONTACT_STATUSES);
/** Longest email kept in errors.csv; the reason already says what is wrong with it. */
const MAX_ERROR_EMAIL = 320;
/**
 * Longest column name quoted in a row's reason: a header can be 64 KiB long,
 * and repeating it in every failing row would multiply the file's size in
 * `import_errors`.
 */
const MAX_LABEL = 100;

/** The plan's columns with the declared type of each attribute field (`types`: field name → type). */
export function describeColumns(plan: ColumnPlan[], types: ReadonlyMap<string, FieldType>): Column[] {
  return plan.map((c) => ({
    ...c,
    type: c.target === 'attribute' ? types.get(c.field) : undefined,
    label: c.header === '' ? `column ${c.index + 1}` : truncate(c.header, MAX_LABEL),
  }));
}

/** A row that passed: its lane key and its line of COPY text (columns as `STAGING_COLUMNS`). */
export interface StagingLine {
  key: string;
  text: string;
}

/** Validates and converts one record; throws RowError with the reason it is skipped. */
export function stagingLine(row: number, record: string[], columns: Column[]): StagingLine {
  let email: string | null = null;
  let firstName: string | null = null;
  let lastName: string | null = null;
  let status: string | null = null;
  let consentSource: string | null = null;
  let consentAt: string | null = null;
  let attributes: Record<string, string | number | boolean> | undefined;
  let emailSeen = false;
  for (const column of columns) {
    const raw = record[column.index];
    if (raw === undefined) {
      if (column.target === 'email') break;
      continue;
    }
    if (raw.length > MAX_FIELD_CHARS) {
      throw new RowError(`"${column.label}" is longer than ${MAX_FIELD_CHARS} characters`);
    }
    // Postgres text cannot hold NUL; one stray byte must not fail the whole batch.
    if (raw.includes('\u0000')) throw new RowError(`"${column.label}" contains a NUL character`);
    switch (column.target) {
      case 'email': {
        emailSeen = true;
        const checked = normalizeEmail(raw);
        if (!checked.ok) throw new RowError(checked.reason);
        email = checked.email;
        break;
      }
      case 'firstName':
        firstName = textValue(raw, column.label);
        break;
      case 'lastName':
        lastName = textValue(raw, column.label);
        break;
      case 'consentSource':
        consentSource = textValue(raw, column.label);
        break;
      case 'consentAt': {
        const coerced = coerceAttribute('date', raw);
        if (!coerced.ok) throw new RowError(`"${column.label}" ${coerced.reason}`);
        consentAt = coerced.value as string | null;
        break;
      }
      case 'status': {
        const value = raw.trim().toLowerCase();
        if (value === '') break;
        if (!STATUSES.has(value)) {
          throw new RowError(`"${column.label}" must be one of ${CONTACT_STATUSES.join(', ')}`);
        }
        status = value;
        break;
      }
      case 'attribute': {
        const coerced = coerceAttribute(column.type ?? 'text', raw);
        if (!coerced.ok) throw new RowError(`"${column.label}" ${coerced.reason}`);
        // An empty cell leaves the stored value alone rather than erasing it.
        if (coerced.value !== null) (attributes ??= {})[column.field] = coerced.value;
        break;
      }
    }
  }
  if (!emailSeen || email === null) throw new RowError('email is missing');
  return {
    key: email.toLowerCase(),
    text:
      `${row}\t${copyText(email)}\t${copyText(firstName)}\t${copyText(lastName)}\t${copyText(status)}\t` +
      `${copyText(attributes ? JSON.stringify(attributes) : '{}')}\t${copyText(consentSource)}\t${copyText(consentAt)}\n`,
  };
}

/** The email cell of a failed row as errors.csv shows it. */
export function emailForError(record: string[], columns: Column[]): string {
  const column = columns.find((c) => c.target === 'email');
  const raw = column ? (record[column.index] ?? '') : '';
  // The reason may be that very NUL, which Postgres text cannot store.
  return raw.trim().slice(0, MAX_ERROR_EMAIL).replaceAll('\u0000', '\uFFFD');
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function textValue(raw: string, label: string): string | null {
  const value = raw.trim();
  if (value.length > MAX_TEXT_LENGTH) throw new RowError(`"${label}" is longer than ${MAX_TEXT_LENGTH} characters`);
  return value === '' ? null : value;
}
