import { Db, decodeCursor, invalid, notFound, type Page, parseId, type Sql, toPage } from '@herald/common';
import { Injectable } from '@nestjs/common';
import { isPgError, PG_FOREIGN_KEY_VIOLATION } from '../db-errors.js';
import type { ListView } from './lists.dto.js';
import {
  ADD_MEMBERS,
  CONTACT_LISTS,
  LEAVE_LISTS,
  LIST_COLUMNS,
  MISSING_LISTS,
  REMOVE_MEMBERS,
} from './membership.sql.js';

/** A list as a contact sees it: which one, by name. */
export interface ListName {
  id: string;
  name: string;
}

export interface NewList {
  name: string;
  description?: string | null;
}

/** Absent keys stay; a null description clears it. */
export type ListChanges = Partial<NewList>;

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
  constructor(private readonly db: Db) {}

  async list(limit: number, cursor?: string): Promise<Page<ListView>> {
    const after = decodeCursor(cursor);
    const rows = await this.db.rows<ListRow>(
      `SELECT ${LIST_COLUMNS} FROM lists l WHERE ($1::bigint IS NULL OR l.id > $1) ORDER BY id LIMIT $2`,
      [after ?? null, limit + 1],
    );
    return toPage(rows, limit, toView);
  }

  async get(id: string): Promise<ListView> {
    return toView(await this.find(parseId(id)));
  }

  async create(input: NewList): Promise<ListView> {
    const { id } = await this.db.one<{ id: string }>(
      'INSERT INTO lists (name, description) VALUES ($1, $2) RETURNING id',
      [input.name, input.description ?? null],
    );
    return toView(await this.find(id));
  }

  async update(rawId: string, input: ListChanges): Promise<ListView> {
    const id = parseId(rawId);
    const params: unknown[] = [id];
    const bind = (value: unknown) => `$${params.push(value)}`;
    const sets = ['updated_at = now()'];
    if (input.name !== undefined) sets.push(`name = ${bind(input.name)}`);
    if (input.description !== undefined) sets.push(`description = ${bind(input.description)}`);
    const changed = await this.db.execute(`UPDATE lists SET ${sets.join(', ')} WHERE id = $1`, params);
    if (changed === 0) throw notFound('List', rawId);
    return toView(await this.find(id));
  }

  /** Deletes the list and its memberships; the contacts stay. */
  async remove(rawId: string): Promise<void> {
    const deleted = await this.db.execute('DELETE FROM lists WHERE id = $1', [parseId(rawId)]);
    if (deleted === 0) throw notFound('List', rawId);
  }

  /**
   * Adds contacts to a list, idempotently. Unknown contact ids are a 400
   * naming them and nothing is added: a caller syncing from elsewhere learns
   * exactly which of its ids are stale.
   */
  async addContacts(rawId: string, contactIds: string[]): Promise<{ added: number }> {
    const id = parseId(rawId);
    await this.requireExists(this.db, id);
    try {
      const row = await this.db.one<{ added: number; missing: string[] }>(ADD_MEMBERS, [id, contactIds]);
      if (row.missing.length > 0) {
        const reason = `no contact with id ${row.missing.join(', ')}${row.missing.length === 20 ? ', …' : ''}`;
        throw invalid(`contactIds: ${reason}; nothing was added`, { contactIds: reason });
      }
      return { added: row.added };
    } catch (error) {
      // A list or contact deleted while the statement ran.
      if (isPgError(error, PG_FOREIGN_KEY_VIOLATION)) {
        await this.requireExists(this.db, id);
        throw invalid('contactIds: a contact was deleted meanwhile; nothing was added', {
          contactIds: 'a contact was deleted meanwhile',
        });
      }
      throw error;
    }
  }

  async removeContacts(rawId: string, contactIds: string[]): Promise<{ removed: number }> {
    const id = parseId(rawId);
    await this.requireExists(this.db, id);
    return { removed: await this.db.execute(REMOVE_MEMBERS, [id, contactIds]) };
  }

  /** 404 unless list `id` exists. */
  async requireExists(m: Sql, id: string): Promise<void> {
    if ((await m.maybeOne('SELECT 1 FROM lists WHERE id = $1', [id])) === undefined) throw notFound('List', id);
  }

  /** The ids in `ids` (distinct, in their first order) that name no list. */
  async missing(m: Sql, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    return (await m.rows<{ id: string }>(MISSING_LISTS, [ids])).map((r) => r.id);
  }

  /** 400 on `field` naming every id in `ids` that is not a list. */
  async requireAllExist(m: Sql, ids: string[], field: string): Promise<void> {
    const missing = await this.missing(m, ids);
    if (missing.length > 0) {
      const reason = `no list with id ${missing.join(', ')}`;
      throw invalid(`${field}: ${reason}`, { [field]: reason });
    }
  }

  /** Adds one contact to `listIds` inside the caller's transaction (ids checked by requireAllExist). */
  async addMembers(m: Sql, listIds: string[], contactId: string): Promise<void> {
    if (listIds.length === 0) return;
    try {
      await m.execute(
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

  /** The lists `contactId` is in, by name (none for an unknown contact). */
  async listsOf(m: Sql, contactId: string): Promise<ListName[]> {
    return m.rows<ListName>(CONTACT_LISTS, [contactId]);
  }

  /**
   * Takes one contact out of `listIds` inside the caller's transaction, as a
   * recipient leaving lists; ids of lists it is not in are ignored, so
   * repeating it is harmless. Returns the ids of the lists it left.
   */
  async leave(m: Sql, contactId: string, listIds: string[]): Promise<string[]> {
    if (listIds.length === 0) return [];
    return (await m.rows<{ id: string }>(LEAVE_LISTS, [contactId, listIds])).map((r) => r.id);
  }

  private async find(id: string): Promise<ListRow> {
    const row = await this.db.maybeOne<ListRow>(`SELECT ${LIST_COLUMNS} FROM lists l WHERE l.id = $1`, [id]);
    if (row === undefined) throw notFound('List', id);
    return row;
  }
}
