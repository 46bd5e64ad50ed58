import { Db, decodeCursor, invalid, notFound, type Page, parseId, type Sql, toPage } from '@herald/common';
import { Injectable } from '@nestjs/common';
import { normalizeEmail } from '../email.js';
import { type ContactStatus, statusForReasonSql, type SuppressionReason } from '../status.js';
import { emailHashSql } from './email-hash.js';
import type { SuppressionView } from './suppressions.dto.js';

export interface NewSuppression {
  email: string;
  /** Defaults to `manual`. */
  reason?: SuppressionReason;
  /** Where it came from, for operators; defaults to `api`. */
  source?: string;
}

interface SuppressionRow {
  id: string;
  email: string | null;
  email_hash: string;
  reason: SuppressionReason;
  source: string | null;
  created_at: Date;
}

const COLUMNS = 'id, email, email_hash, reason, source, created_at';

const toView = (r: SuppressionRow): SuppressionView => ({
  id: r.id,
  email: r.email,
  emailHash: r.email_hash,
  reason: r.reason,
  source: r.source,
  createdAt: r.created_at.toISOString(),
});

/**
 * Why the address `emailExpr` (a column or a `$n` parameter) is suppressed,
 * or NULL, as a SQL expression: for statements that read a message and its
 * recipient's suppression in one round trip.
 */
export const suppressionReasonSql = (emailExpr: string) =>
  `(SELECT reason FROM suppressions WHERE email_hash = ${emailHashSql(emailExpr)})`;

/** Checks an address from a request body or query; a bad one is a 400 on `field`. */
export function requireEmail(raw: string, field = 'email'): string {
  const checked = normalizeEmail(raw);
  if (!checked.ok) throw invalid(checked.reason, { [field]: checked.reason });
  return checked.email;
}

/**
 * The addresses that must never receive marketing mail (docs/ARCHITECTURE.md,
 * invariant 2: suppression wins). Entries are keyed by the address hash; the plaintext goes
 * when its contact is erased.
 */
@Injectable()
export class SuppressionsService {
  constructor(private readonly db: Db) {}

  async list(limit: number, cursor?: string, email?: string): Promise<Page<SuppressionView>> {
    const after = decodeCursor(cursor);
    const address = email === undefined ? null : requireEmail(email);
    const rows = await this.db.rows<SuppressionRow>(
      `SELECT ${COLUMNS} FROM suppressions
       WHERE ($1::bigint IS NULL OR id > $1)
         AND ($2::text IS NULL OR email_hash = ${emailHashSql('$2::text')})
       ORDER BY id LIMIT $3`,
      [after ?? null, address, limit + 1],
    );
    return toPage(rows, limit, toView);
  }

  /**
   * Suppresses an address, and stops mail to its contact if there is one.
   * Idempotent: an address already suppressed keeps its first entry, which is
   * returned with `created: false`.
   */
  async create(input: NewSuppression): Promise<{ suppression: SuppressionView; created: boolean }> {
    const email = requireEmail(input.email);
    return this.db.transaction(async (m) => {
      const inserted = await this.record(m, email, input.reason ?? 'manual', input.source ?? 'api');
      const row =
        inserted ??
        (await m.one<SuppressionRow>(
          `SELECT ${COLUMNS} FROM suppressions WHERE email_hash = ${emailHashSql('$1::text')}`,
          [email],
        ));
      await this.stopContact(m, email, row.reason);
      return { suppression: toView(row), created: inserted !== undefined };
    });
  }

  /** Removes the entry. Nobody is resubscribed: that takes an explicit contact update. */
  async remove(id: string): Promise<void> {
    const deleted = await this.db.execute('DELETE FROM suppressions WHERE id = $1', [parseId(id)]);
    if (deleted === 0) throw notFound('Suppression', id);
  }

  /** Adds an entry inside the caller's transaction; undefined when the address was already suppressed. */
  async record(m: Sql, email: string, reason: SuppressionReason, source: string): Promise<SuppressionRow | undefined> {
    return m.maybeOne<SuppressionRow>(
      `INSERT INTO suppressions (email, email_hash, reason, source)
       VALUES ($1, ${emailHashSql('$1::text')}, $2, $3)
       ON CONFLICT (email_hash) DO NOTHING
       RETURNING ${COLUMNS}`,
      [email, reason, source],
    );
  }

  /**
   * Suppresses an address inside the caller's transaction and stops mail to
   * its contact, as `create` does (an unsubscribe link, a complaint). True
   * when this call added the entry; false when the address was already
   * suppressed, so that the caller counts an opt-out once however often it
   * is repeated. Concurrent calls for one address: exactly one gets true
   * (the unique key serialises them).
   */
  async suppress(m: Sql, email: string, reason: SuppressionReason, source: string): Promise<boolean> {
    const inserted = await this.record(m, email, reason, source);
    const effective = inserted?.reason ?? (await this.reasonFor(m, email)) ?? reason;
    await this.stopContact(m, email, effective);
    return inserted !== undefined;
  }

  /**
   * Only subscribed contacts change: an address already bounced or
   * complained keeps the more telling status.
   */
  private async stopContact(m: Sql, email: string, reason: SuppressionReason): Promise<void> {
    await m.execute(
      `UPDATE contacts SET status = ${statusForReasonSql('$2::text')}, updated_at = now()
       WHERE lower(email) = lower($1) AND status = 'subscribed'`,
      [email, reason],
    );
  }

  /** Why `email` is suppressed, if it is. */
  async reasonFor(m: Sql, email: string): Promise<SuppressionReason | undefined> {
    const row = await m.one<{ reason: SuppressionReason | null }>(
      `SELECT ${suppressionReasonSql('$1::text')} AS reason`,
      [email],
    );
    return row.reason ?? undefined;
  }

  /**
   * Which of `emails` are suppressed now, lower-cased: the send-time re-check
   * (an unsubscribe made while a campaign runs wins). One query per batch.
   */
  async suppressedAmong(emails: string[]): Promise<Set<string>> {
    if (emails.length === 0) return new Set();
    const rows = await this.db.rows<{ email: string }>(
      `SELECT DISTINCT lower(e) AS email FROM unnest($1::text[]) AS e
       WHERE EXISTS (SELECT 1 FROM suppressions s WHERE s.email_hash = ${emailHashSql('e')})`,
      [emails],
    );
    return new Set(rows.map((r) => r.email));
  }

  /** Records the suppression a non-subscribed status implies (reason = the status). */
  async recordStatus(m: Sql, email: string, status: ContactStatus, source: string): Promise<void> {
    if (status !== 'subscribed') await this.record(m, email, status, source);
  }
}
