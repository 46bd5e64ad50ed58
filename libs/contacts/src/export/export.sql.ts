import { isoTimeSql, safeCellSql } from '@herald/common';
import pg from 'pg';
import type { FieldType } from '../attributes.js';

/**
 * The CSV export as one `COPY (SELECT ...) TO STDOUT`. COPY takes no bind
 * parameters, so everything spliced in here is either a constant, a field
 * name (checked against FIELD_NAME_PATTERN and quoted again anyway) or an id
 * that passed `parseId` (digits only, quoted as a literal regardless).
 */

function attributeCell(name: string, type: FieldType): string {
  const value = `c.attributes->>${pg.escapeLiteral(name)}`;
  // A JSON number or boolean cannot hold a formula, and `-5` must stay a
  // number for the spreadsheet; anything else is treated as text.
  if (type === 'number' || type === 'boolean') {
    return `(CASE WHEN jsonb_typeof(c.attributes->${pg.escapeLiteral(name)}) IN ('number', 'boolean') THEN ${value} ELSE ${safeCellSql(value)} END)`;
  }
  return safeCellSql(value);
}

export interface ExportFilter {
  listId?: string;
  /** Restrict to the ids in temp table `export_ids` (filled from a segment first). */
  idsTable?: boolean;
}

export function exportQuery(fields: [string, FieldType][], filter: ExportFilter): string {
  const columns = [
    `${safeCellSql('c.email')} AS email`,
    `${safeCellSql('c.first_name')} AS first_name`,
    `${safeCellSql('c.last_name')} AS last_name`,
    'c.status AS status',
    `${safeCellSql('c.consent_source')} AS consent_source`,
    `${isoTimeSql('c.consent_at')} AS consent_at`,
    `${isoTimeSql('c.created_at')} AS created_at`,
    `${isoTimeSql('c.updated_at')} AS updated_at`,
    ...fields.map(([name, type]) => `${attributeCell(name, type)} AS ${pg.escapeIdentifier(name)}`),
  ];
  const where: string[] = [];
  if (filter.listId !== undefined) {
    where.push(
      `EXISTS (SELECT 1 FROM list_members m WHERE m.list_id = ${pg.escapeLiteral(filter.listId)}::bigint AND m.contact_id = c.id)`,
    );
  }
  if (filter.idsTable) where.push('c.id IN (SELECT id FROM export_ids)');
  return `COPY (
    SELECT ${columns.join(',\n      ')}
    FROM contacts c
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY c.id
  ) TO STDOUT WITH (FORMAT csv, HEADER)`;
}

/** A temp table for the ids of a segment, dropped with its transaction. */
export const CREATE_EXPORT_IDS = 'CREATE TEMP TABLE export_ids (id bigint PRIMARY KEY) ON COMMIT DROP';

/** Fills `export_ids` from a segment's filter expression over `c`. */
export function fillExportIds(filterSql: string): string {
  return `INSERT INTO export_ids SELECT c.id FROM contacts c WHERE ${filterSql}`;
}
