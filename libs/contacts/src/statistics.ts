import { Db } from '@herald/common';
import { Injectable } from '@nestjs/common';
import { IMPORT_STATUSES } from './import/index.js';
import { CONTACT_STATUSES } from './status.js';

/** A count per status; every known status is present, 0 when it has no rows. */
export type CountsByStatus = Record<string, number>;

/*
 * Both are full scans (a count cannot use an index alone here); on the table
 * sizes Herald targets they take well under a second.
 */
const CONTACTS_BY_STATUS = `SELECT status, count(*)::int AS count FROM contacts GROUP BY status`;
const IMPORTS_BY_STATUS = `SELECT status, count(*)::int AS count FROM imports GROUP BY status`;

/** Counts of this lib's rows for operators (`/metrics`). */
@Injectable()
export class ContactStatistics {
  constructor(private readonly db: Db) {}

  contactsByStatus(): Promise<CountsByStatus> {
    return this.countByStatus(CONTACTS_BY_STATUS, CONTACT_STATUSES);
  }

  importsByStatus(): Promise<CountsByStatus> {
    return this.countByStatus(IMPORTS_BY_STATUS, IMPORT_STATUSES);
  }

  private async countByStatus(sql: string, known: readonly string[]): Promise<CountsByStatus> {
    const counts: CountsByStatus = Object.fromEntries(known.map((status) => [status, 0]));
    for (const row of await this.db.rows<{ status: string; count: number }>(sql)) counts[row.status] = row.count;
    return counts;
  }
}
