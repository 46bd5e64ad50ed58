import { conflict, Db, decodeCursor, invalid, notFound, type Page, parseId, toPage } from '@herald/common';
import { Injectable } from '@nestjs/common';
import { type AttributeValue, coerceAttribute, type FieldType } from '../attributes.js';
import { isPgError, PG_UNIQUE_VIOLATION } from '../db-errors.js';
import type { FieldView } from './fields.dto.js';

/** A custom field declaration; `name` matches FIELD_NAME_PATTERN. */
export interface NewField {
  name: string;
  type: FieldType;
  label?: string | null;
}

/** A declared field as other libs see it (segment rules, template previews). */
export interface FieldDefinition {
  name: string;
  type: FieldType;
  label: string | null;
}

/**
 * Names a field may not take: they are the contact's own columns, so an
 * attribute with one of them would be ambiguous in CSV headers and mappings.
 */
export const RESERVED_FIELD_NAMES = new Set([
  'id',
  'email',
  'first_name',
  'last_name',
  'status',
  'consent_source',
  'consent_at',
  'created_at',
  'updated_at',
  'list_ids',
]);

interface FieldRow {
  id: string;
  name: string;
  type: FieldType;
  label: string | null;
  created_at: Date;
}

/** Attribute changes checked against the field definitions. */
export interface AttributeChanges {
  /** Coerced values to store, by field name. */
  set: Record<string, Exclude<AttributeValue, null>>;
  /** Field names whose value is cleared (`null` or `""` on input). */
  remove: string[];
}

const toView = (r: FieldRow): FieldView => ({
  id: r.id,
  name: r.name,
  type: r.type,
  label: r.label,
  createdAt: r.created_at.toISOString(),
});

/** Custom attribute definitions: the schema `contacts.attributes` is checked against. */
@Injectable()
export class FieldsService {
  constructor(private readonly db: Db) {}

  async list(limit: number, cursor?: string): Promise<Page<FieldView>> {
    const after = decodeCursor(cursor);
    const rows = await this.db.rows<FieldRow>(
      `SELECT id, name, type, label, created_at FROM fields
       WHERE ($1::bigint IS NULL OR id > $1) ORDER BY id LIMIT $2`,
      [after ?? null, limit + 1],
    );
    return toPage(rows, limit, toView);
  }

  /** Every definition, by name. The table is small and read per write, so it never goes stale across processes. */
  async definitions(): Promise<Map<string, FieldType>> {
    return new Map((await this.all()).map((f) => [f.name, f.type]));
  }

  /** Every declared field, oldest first. */
  all(): Promise<FieldDefinition[]> {
    return this.db.rows<FieldDefinition>('SELECT name, type, label FROM fields ORDER BY id');
  }

  async create(input: NewField): Promise<FieldView> {
    if (RESERVED_FIELD_NAMES.has(input.name)) {
      throw invalid(`${input.name} is a built-in contact property`, {
        name: 'reserved: this is a built-in contact property',
      });
    }
    try {
      const row = await this.db.one<FieldRow>(
        `INSERT INTO fields (name, type, label) VALUES ($1, $2, $3) RETURNING id, name, type, label, created_at`,
        [input.name, input.type, input.label ?? null],
      );
      return toView(row);
    } catch (error) {
      if (isPgError(error, PG_UNIQUE_VIOLATION)) {
        throw conflict(`A field named ${input.name} already exists`, { name: 'already exists' });
      }
      throw error;
    }
  }

  /**
   * Drops the definition and the values stored under it, in one transaction,
   * so that a later field of the same name but another type never meets
   * stale values. This rewrites every contact holding the attribute.
   */
  async remove(id: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const gone = await m.maybeOne<{ name: string }>('DELETE FROM fields WHERE id = $1 RETURNING name', [parseId(id)]);
      if (gone === undefined) throw notFound('Field', id);
      await m.execute(
        `UPDATE contacts SET attributes = attributes - $1::text, updated_at = now() WHERE attributes ? $1::text`,
        [gone.name],
      );
    });
  }

  /**
   * Checks `input` (an API body's `attributes`) against the definitions.
   * Every unknown name and wrong value is reported at once, under
   * `attributes.<name>`.
   */
  async check(input: Record<string, unknown>): Promise<AttributeChanges> {
    const entries = Object.entries(input);
    const changes: AttributeChanges = { set: {}, remove: [] };
    if (entries.length === 0) return changes;
    const definitions = await this.definitions();
    const problems: Record<string, string> = {};
    for (const [name, raw] of entries) {
      const key = `attributes.${name.slice(0, 64)}`;
      const type = definitions.get(name);
      if (type === undefined) {
        problems[key] = 'unknown field; define it with POST /api/v1/fields';
        continue;
      }
      const coerced = coerceAttribute(type, raw);
      if (!coerced.ok) problems[key] = `${type} field ${coerced.reason}`;
      else if (coerced.value === null) changes.remove.push(name);
      else changes.set[name] = coerced.value;
    }
    const keys = Object.keys(problems);
    if (keys.length > 0) {
      throw invalid(keys.map((k) => `${k}: ${problems[k]}`).join('; '), problems);
    }
    return changes;
  }
}
