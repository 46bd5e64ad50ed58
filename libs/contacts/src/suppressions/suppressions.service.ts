import { decodeCursor, invalid, notFound, type Page, parseId, toPage } from '@herald/common';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { normalizeEmail } from '../email.js';
import { type ContactStatus, statusForReasonSql, type SuppressionReason } from '../status.js';
import { emailHashSql } from './email-hash.js';
import type { CreateSuppressionDto, SuppressionView } from './suppressions.dto.js';

interface SuppressionRow {
  id: string;
  email: string | null;
  email_hash: string;
  reason: SuppressionReason;
  source: string | null;
  created_at: Date;
}

// `id` comes back as text (bigint ids are strings in the API): order by the
// qualified column, or ORDER BY would sort the text alias.
const COLUMNS = 'id::text, email, email_hash, reason, source, created_at';

const toView = (r: SuppressionRow): SuppressionView => ({
  id: r.id,
  email: r.email,
  emailHash: r.email_hash,
  reason: r.reason,
  source: r.source,
  createdAt: r.created_at.toISOString(),
});

/** Checks an address from a request body or query; a bad one is a 400 on `field`. */
export function requireEmail(raw: string, field = 'email'): string {
  const checked = normalizeEmail(raw);
  if (!checked.ok) throw invalid(checked.reason, { [field]: checked.reason });
  return checked.email;
}

/**
 * The addresses that must never receive marketing mail (ARCHITECTURE
 * invariant 7). Entries are keyed by the address hash; the plaintext goes
 * when its contact is erased.
 */
@Injectable()
export class SuppressionsService {
  constructor(private readonly db: DataSource) {}

  async list(limit: number, cursor?: string, email?: string): Promise<Page<SuppressionView>> {
    const after = decodeCursor(cursor);
    const address = email === undefined ? null : requireEmail(email);
    const rows = await this.db.query<SuppressionRow[]>(
      `SELECT ${COLUMNS} FROM suppressions
       WHERE ($1::bigint IS NULL OR id > $1)
         AND ($2::text IS NULL OR email_hash = ${emailHashSql('$2::text')})
       ORDER BY suppressions.id LIMIT $3`,
      [after ?? null, address, limit + 1],
    );
    return toPage(rows, limit, toView);
  }

  /**
   * Suppresses an address, and stops mail to its contact if there is one.
   * Idempotent: an address already suppressed keeps its first entry, which is
   * returned with `created: false`.
   */
  async create(input: CreateSuppressionDto): Promise<{ suppression: SuppressionView; created: boolean }> {
    const email = requireEmail(input.email);
    return this.db.transaction(async (m) => {
      const inserted = await this.record(m, email, input.reason ?? 'manual', input.source ?? 'api');
      const row =
        inserted ??
        (
          await m.query<SuppressionRow[]>(
            `SELECT ${COLUMNS} FROM suppressions WHERE email_hash = ${emailHashSql('$1::text')}`,
            [email],
          )
        )[0];
      // Only subscribed contacts change: an address already bounced or
      // complained keeps the more telling status.
      await m.query(
        `UPDATE contacts SET status = ${statusForReasonSql('$2::text')}, updated_at = now()
         WHERE lower(email) = lower($1) AND status = 'subscribed'`,
        [email, row.reason],
      );
      return { suppression: toView(row), created: inserted !== undefined };
    });
  }

  /** Removes the entry. Nobody is resubscribed: that takes an explicit contact update. */
  async remove(id: string): Promise<void> {
    const rows = await this.db.query<{ id: string }[]>(
      'WITH gone AS (DELETE FROM suppressions WHERE id = $1 RETURNING id) SELECT id FROM gone',
      [parseId(id)],
    );
    if (rows.length === 0) throw notFound('Suppression', id);
  }

  /** Adds an entry inside the caller's transaction; undefined when the address was already suppressed. */
  async record(
    m: EntityManager,
    email: string,
    reason: SuppressionReason,
    source: string,
  ): Promise<SuppressionRow | undefined> {
    const rows = await m.query<SuppressionRow[]>(
      `INSERT INTO suppressions (email, email_hash, reason, source)
       VALUES ($1, ${emailHashSql('$1::text')}, $2, $3)
       ON CONFLICT (email_hash) DO NOTHING
       RETURNING ${COLUMNS}`,
      [email, reason, source],
    );
    return rows[0];
  }

  /** Why `email` is suppressed, if it is. */
  async reasonFor(m: EntityManager, email: string): Promise<SuppressionReason | undefined> {
    const rows = await m.query<{ reason: SuppressionReason }[]>(
      `SELECT reason FROM suppressions WHERE email_hash = ${emailHashSql('$1::text')}`,
      [email],
    );
    return rows[0]?.reason;
  }

  /** Records the suppression a non-subscribed status implies (reason = the status). */
  async recordStatus(m: EntityManager, email: string, status: ContactStatus, source: string): Promise<void> {
    if (status !== 'subscribed') await this.record(m, email, status, source);
  }
}
