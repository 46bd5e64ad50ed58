import { conflict, Db, decodeCursor, invalid, notFound, type Page, parseId, type Sql, toPage } from '@herald/common';
import { Injectable } from '@nestjs/common';
import type { AttributeValue } from '../attributes.js';
import type { ContactFilter } from '../contact-filter.js';
import { isPgError, PG_UNIQUE_VIOLATION } from '../db-errors.js';
import { FieldsService } from '../fields/fields.service.js';
import { ListsService } from '../lists/lists.service.js';
import { type ContactStatus, statusForReason } from '../status.js';
import { emailHashSql } from '../suppressions/email-hash.js';
import { requireEmail, SuppressionsService } from '../suppressions/suppressions.service.js';
import type { ContactView } from './contacts.dto.js';
import { CONTACT_COLUMNS, contactsSql, pageQuery } from './contacts.sql.js';

/** A new contact; only `email` is required. */
export interface NewContact {
  email: string;
  firstName?: string | null;
  lastName?: string | null;
  /** Defaults to subscribed; a suppressed address is never stored as subscribed. */
  status?: ContactStatus;
  /** Values for declared fields, checked and coerced against them. */
  attributes?: Record<string, unknown>;
  consentSource?: string | null;
  /** An ISO 8601 time. */
  consentAt?: string | null;
  listIds?: string[];
}

/** Changes to a contact: absent keys stay, `null` clears; attributes are merged (a null value removes one). */
export type ContactChanges = Omit<NewContact, 'email' | 'listIds'> & { email?: string };

/** Which contacts to list: one keyset page, optionally filtered. */
export interface ContactQuery {
  limit: number;
  cursor?: string;
  /** Case-insensitive substring of email, first or last name. */
  q?: string;
  listId?: string;
  status?: ContactStatus;
}

/** A sample row of a filter (a segment preview). */
export interface ContactSample {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  status: ContactStatus;
}

/** What a template renders for one contact (`{{first_name}}`, `{{attributes.plan}}`). */
export interface ContactRenderData {
  email: string;
  first_name: string | null;
  last_name: string | null;
  attributes: Record<string, unknown>;
}

interface ContactRow {
  id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  status: ContactStatus;
  attributes: Record<string, AttributeValue>;
  consent_source: string | null;
  consent_at: Date | null;
  created_at: Date;
  updated_at: Date;
  list_ids: string[];
}

const toView = (r: ContactRow): ContactView => ({
  id: r.id,
  email: r.email,
  firstName: r.first_name,
  lastName: r.last_name,
  status: r.status,
  attributes: r.attributes,
  consentSource: r.consent_source,
  consentAt: r.consent_at?.toISOString() ?? null,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  listIds: r.list_ids,
});

/** Where contact-driven suppressions say they came from. */
const SOURCE = 'contact update';

/** An ISO 8601 string Postgres can store (years 1..9999), or a 400 on `field`. */
function timestamp(value: string | null | undefined, field: string): string | null | undefined {
  if (value === undefined || value === null) return value;
  const parsed = new Date(value);
  const year = parsed.getUTCFullYear();
  if (Number.isNaN(parsed.getTime()) || year < 1 || year > 9999) {
    throw invalid(`${field} is not a valid time`, { [field]: 'not a valid ISO 8601 time' });
  }
  return parsed.toISOString();
}

const duplicateEmail = (email: string) =>
  conflict(`A contact with the address ${email} already exists`, { email: 'already used by another contact' });

/**
 * Contacts and the rules that protect them: unique addresses, typed
 * attributes, and suppression winning over any requested status.
 */
@Injectable()
export class ContactsService {
  constructor(
    private readonly db: Db,
    private readonly fields: FieldsService,
    private readonly lists: ListsService,
    private readonly suppressions: SuppressionsService,
  ) {}

  async list(query: ContactQuery): Promise<Page<ContactView>> {
    if (query.listId !== undefined) await this.lists.requireExists(this.db, query.listId);
    const { text, params } = pageQuery({ ...query, after: decodeCursor(query.cursor) });
    return toPage(await this.db.rows<ContactRow>(text, params), query.limit, toView);
  }

  async get(id: string): Promise<ContactView> {
    return toView(await this.find(this.db, parseId(id)));
  }

  /** How many contacts `filter` selects, inside the caller's transaction (which may set a timeout). */
  async count(tx: Sql, filter: ContactFilter): Promise<number> {
    return (await tx.one<{ count: number }>(contactsSql.count(filter.sql), filter.params)).count;
  }

  /** The first `limit` contacts `filter` selects, by id. */
  async sample(tx: Sql, filter: ContactFilter, limit: number): Promise<ContactSample[]> {
    const rows = await tx.rows<Omit<ContactRow, 'list_ids' | 'attributes' | 'consent_source'>>(
      contactsSql.sample(filter.sql, limit),
      filter.params,
    );
    return rows.map((r) => ({
      id: r.id,
      email: r.email,
      firstName: r.first_name,
      lastName: r.last_name,
      status: r.status,
    }));
  }

  /** A contact as a template renders it; 404 naming `field` when there is none. */
  async renderData(rawId: string, field = 'contactId'): Promise<ContactRenderData> {
    const id = parseId(rawId, field);
    const row = await this.db.maybeOne<ContactRenderData>(contactsSql.renderData, [id]);
    if (row === undefined) throw notFound('Contact', id);
    return { ...row, attributes: { ...row.attributes } };
  }

  /** `renderData` for a batch of contacts in one query, by id; erased contacts are absent. */
  async renderDataMany(ids: string[]): Promise<Map<string, ContactRenderData>> {
    const found = new Map<string, ContactRenderData>();
    if (ids.length === 0) return found;
    const rows = await this.db.rows<ContactRenderData & { id: string }>(contactsSql.renderDataMany, [ids]);
    for (const { id, ...data } of rows) found.set(id, data);
    return found;
  }

  async create(input: NewContact): Promise<ContactView> {
    const email = requireEmail(input.email);
    const consentAt = timestamp(input.consentAt, 'consentAt');
    const attributes = await this.fields.check(input.attributes ?? {});
    const listIds = [...new Set(input.listIds ?? [])];
    return this.db.transaction(async (m) => {
      await this.lists.requireAllExist(m, listIds, 'listIds');
      // Suppression wins: a suppressed address is stored with the status its
      // suppression implies, whatever the caller asked for.
      const reason = await this.suppressions.reasonFor(m, email);
      const requested = input.status ?? 'subscribed';
      const status = reason !== undefined && requested === 'subscribed' ? statusForReason(reason) : requested;
      let id: string;
      try {
        const row = await m.one<{ id: string }>(
          `INSERT INTO contacts (email, first_name, last_name, status, attributes, consent_source, consent_at)
           VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7) RETURNING id`,
          [
            email,
            input.firstName ?? null,
            input.lastName ?? null,
            status,
            JSON.stringify(attributes.set),
            input.consentSource ?? null,
            consentAt ?? null,
          ],
        );
        id = row.id;
      } catch (error) {
        if (isPgError(error, PG_UNIQUE_VIOLATION, 'contacts_email_key')) throw duplicateEmail(email);
        throw error;
      }
      if (reason === undefined) await this.suppressions.recordStatus(m, email, status, SOURCE);
      await this.lists.addMembers(m, listIds, id);
      return toView(await this.find(m, id));
    });
  }

  async update(rawId: string, input: ContactChanges): Promise<ContactView> {
    const id = parseId(rawId);
    const newEmail = input.email === undefined ? undefined : requireEmail(input.email);
    const consentAt = timestamp(input.consentAt, 'consentAt');
    const attributes = await this.fields.check(input.attributes ?? {});
    return this.db.transaction(async (m) => {
      const current = await this.find(m, id, true);
      const email = newEmail ?? current.email;
      const emailChanged = email !== current.email;
      let status = input.status ?? current.status;
      if (status === 'subscribed') {
        const reason = await this.suppressions.reasonFor(m, email);
        if (reason !== undefined) {
          if (input.status === 'subscribed') {
            throw conflict(`${email} is suppressed (${reason}); remove its suppression before resubscribing`, {
              status: `the address is suppressed (${reason})`,
            });
          }
          status = statusForReason(reason);
        }
      }

      const params: unknown[] = [id];
      const bind = (value: unknown) => `$${params.push(value)}`;
      const sets = ['updated_at = now()', `status = ${bind(status)}`];
      if (emailChanged) sets.push(`email = ${bind(email)}`);
      if (input.firstName !== undefined) sets.push(`first_name = ${bind(input.firstName)}`);
      if (input.lastName !== undefined) sets.push(`last_name = ${bind(input.lastName)}`);
      if (input.consentSource !== undefined) sets.push(`consent_source = ${bind(input.consentSource)}`);
      if (consentAt !== undefined) sets.push(`consent_at = ${bind(consentAt)}::timestamptz`);
      if (attributes.remove.length > 0 || Object.keys(attributes.set).length > 0) {
        // Merge: `-` drops the cleared keys, `||` adds or replaces the rest.
        sets.push(
          `attributes = (attributes - ${bind(attributes.remove)}::text[]) || ${bind(JSON.stringify(attributes.set))}::jsonb`,
        );
      }
      try {
        await m.execute(`UPDATE contacts SET ${sets.join(', ')} WHERE id = $1`, params);
      } catch (error) {
        if (isPgError(error, PG_UNIQUE_VIOLATION, 'contacts_email_key')) throw duplicateEmail(email);
        throw error;
      }
      // Record only what this request changed, so editing a name never
      // re-creates a suppression an operator removed on purpose.
      if (status !== current.status || emailChanged) await this.suppressions.recordStatus(m, email, status, SOURCE);
      return toView(await this.find(m, id));
    });
  }

  /**
   * Erasure: the contact row goes (memberships cascade) and so does the
   * plaintext address everywhere this lib stores it. An opt-out survives as a
   * hash-only suppression so the address stays blocked if it comes back.
   */
  async remove(rawId: string): Promise<void> {
    const id = parseId(rawId);
    await this.db.transaction(async (m) => {
      const gone = await m.maybeOne<{ email: string; status: ContactStatus; email_hash: string }>(
        `DELETE FROM contacts WHERE id = $1 RETURNING email, status, ${emailHashSql('email')} AS email_hash`,
        [id],
      );
      if (gone === undefined) throw notFound('Contact', rawId);
      const { email, status, email_hash: hash } = gone;
      await m.execute(`UPDATE suppressions SET email = NULL WHERE email_hash = $1`, [hash]);
      if (status !== 'subscribed') {
        await m.execute(
          `INSERT INTO suppressions (email, email_hash, reason, source) VALUES (NULL, $1, $2, 'erasure')
           ON CONFLICT (email_hash) DO NOTHING`,
          [hash, status],
        );
      }
      // Import error reports quote the failing row's address.
      await m.execute(`UPDATE import_errors SET email = NULL WHERE lower(email) = lower($1)`, [email]);
    });
  }

  private async find(m: Sql, id: string, forUpdate = false): Promise<ContactRow> {
    const row = await m.maybeOne<ContactRow>(
      `SELECT ${CONTACT_COLUMNS} FROM contacts c WHERE c.id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [id],
    );
    if (row === undefined) throw notFound('Contact', id);
    return row;
  }
}
