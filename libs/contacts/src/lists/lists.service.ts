import { decodeCursor, invalid, notFound, type Page, parseId, toPage } from '@herald/common';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { isPgError, PG_FOREIGN_KEY_VIOLATION } from '../db-errors.js';
import type { CreateListDto, ListView, UpdateListDto } from './lists.dto.js';
import { ADD_MEMBERS, LIST_COLUMNS, REMOVE_MEMBERS } from './membership.sql.js';

interface ListRow {
  id: string;
  name: string;
  description: string | null;
  member_count: number;
  created_at: Date;
  updated_at: Date;
}

const toView = (r: ListRow): ListView => ({
  id: r.id,
  name: r.name,
  description: r.description,
  memberCount: r.member_count,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** Lists and their membership. A list holds contacts of any status; sending skips the suppressed. */
@Injectable()
export class ListsService {
  constructor(private readonly db: DataSource) {}

  async list(limit: number, cursor?: string): Promise<Page<ListView>> {
    const after = decodeCursor(cursor);
    const rows = await this.db.query<ListRow[]>(
      `SELECT ${LIST_COLUMNS} FROM lists l WHERE ($1::bigint IS NULL OR l.id > $1) ORDER BY l.id LIMIT $2`,
      [after ?? null, limit + 1],
    );
    return toPage(rows, limit, toView);
  }

  async get(id: string): Promise<ListView> {
    return toView(await this.find(parseId(id)));
  }

  async create(input: CreateListDto): Promise<ListView> {
    const rows = await this.db.query<{ id: string }[]>(
      'INSERT INTO lists (name, description) VALUES ($1, $2) RETURNING id::text',
      [input.name, input.description ?? null],
    );
    return toView(await this.find(rows[0].id));
  }

  async update(rawId: string, input: UpdateListDto): Promise<ListView> {
    const id = parseId(rawId);
    const params: unknown[] = [id];
    const bind = (value: unknown) => `$${params.push(value)}`;
    const sets = ['updated_at = now()'];
    if (input.name !== undefined) sets.push(`name = ${bind(input.name)}`);
    if (input.description !== undefined) sets.push(`description = ${bind(input.description)}`);
    const rows = await this.db.query<{ id: string }[]>(
      `WITH changed AS (UPDATE lists SET ${sets.join(', ')} WHERE id = $1 RETURNING id) SELECT id::text FROM changed`,
      params,
    );
    if (rows.length === 0) throw notFound('List', rawId);
    return toView(await this.find(id));
  }

  /** Deletes the list and its memberships; the contacts stay. */
  async remove(rawId: string): Promise<void> {
    const rows = await this.db.query<{ id: string }[]>(
      'WITH gone AS (DELETE FROM lists WHERE id = $1 RETURNING id) SELECT id FROM gone',
      [parseId(rawId)],
    );
    if (rows.length === 0) throw notFound('List', rawId);
  }

  /**
   * Adds contacts to a list, idempotently. Unknown contact ids are a 400
   * naming them and nothing is added: a caller syncing from elsewhere learns
   * exactly which of its ids are stale.
   */
  async addContacts(rawId: string, contactIds: string[]): Promise<{ added: number }> {
    const id = parseId(rawId);
    await this.requireExists(this.db.manager, id);
    try {
      const [row] = await this.db.query<{ added: number; missing: string[] }[]>(ADD_MEMBERS, [id, contactIds]);
      if (row.missing.length > 0) {
        const reason = `no contact with id ${row.missing.join(', ')}${row.missing.length === 20 ? ', …' : ''}`;
        throw invalid(`contactIds: ${reason}; nothing was added`, { contactIds: reason });
      }
      return { added: row.added };
    } catch (error) {
      // A list or contact deleted while the statement ran.
      if (isPgError(error, PG_FOREIGN_KEY_VIOLATION)) {
        await this.requireExists(this.db.manager, id);
        throw invalid('contactIds: a contact was deleted meanwhile; nothing was added', {
          contactIds: 'a contact was deleted meanwhile',
        });
      }
      throw error;
    }
  }

  async removeContacts(rawId: string, contactIds: string[]): Promise<{ removed: number }> {
    const id = parseId(rawId);
    await this.requireExists(this.db.manager, id);
    const [row] = await this.db.query<{ removed: number }[]>(REMOVE_MEMBERS, [id, contactIds]);
    return { removed: row.removed };
  }

  /** 404 unless list `id` exists. */
  async requireExists(m: EntityManager, id: string): Promise<void> {
    const rows = await m.query<unknown[]>('SELECT 1 FROM lists WHERE id = $1', [id]);
    if (rows.length === 0) throw notFound('List', id);
  }

  /** 400 on `field` naming every id in `ids` that is not a list. */
  async requireAllExist(m: EntityManager, ids: string[], field: string): Promise<void> {
    if (ids.length === 0) return;
    const rows = await m.query<{ id: string }[]>(
      `SELECT x::text AS id FROM unnest($1::bigint[]) AS x WHERE NOT EXISTS (SELECT 1 FROM lists l WHERE l.id = x)`,
      [ids],
    );
    if (rows.length > 0) {
      const reason = `no list with id ${rows.map((r) => r.id).join(', ')}`;
      throw invalid(`${field}: ${reason}`, { [field]: reason });
    }
  }

  /** Adds one contact to `listIds` inside the caller's transaction (ids checked by requireAllExist). */
  async addMembers(m: EntityManager, listIds: string[], contactId: string): Promise<void> {
    if (listIds.length === 0) return;
    try {
      await m.query(
        `INSERT INTO list_members (list_id, contact_id) SELECT x, $2::bigint FROM unnest($1::bigint[]) AS x
         ON CONFLICT DO NOTHING`,
        [listIds, contactId],
      );
    } catch (error) {
      // A list deleted between the check and this insert.
      if (isPgError(error, PG_FOREIGN_KEY_VIOLATION)) {
        throw invalid('listIds: a list was deleted meanwhile', { listIds: 'a list was deleted meanwhile' });
      }
      throw error;
    }
  }

  private async find(id: string): Promise<ListRow> {
    const rows = await this.db.query<ListRow[]>(`SELECT ${LIST_COLUMNS} FROM lists l WHERE l.id = $1`, [id]);
    if (rows.length === 0) throw notFound('List', id);
    return rows[0];
  }
}
