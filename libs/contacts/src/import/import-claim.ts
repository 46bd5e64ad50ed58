import type pg from 'pg';
import * as sql from './import.sql.js';
import type { CsvFormat } from './csv-records.js';
import type { ImportMode } from './imports.dto.js';
import type { ColumnPlan } from './mapping.js';

/** What the upload stored in `imports.options` for the job. */
export interface ImportOptions extends CsvFormat {
  columns: ColumnPlan[];
  totalRows: number;
}

/** An import as its runner sees it once it holds the import's lock. */
export interface ClaimedImport {
  upload_id: string | null;
  size_bytes: number;
  list_id: string | null;
  mode: ImportMode;
  options: ImportOptions;
}

/**
 * Takes import `importId` for this runner on `client`: its advisory lock
 * (held as long as the connection lives, so it goes with a dead worker's
 * connection) and status `running`. `busy`: another live runner holds it;
 * `gone`: it is finished or deleted.
 */
export async function claimImport(client: pg.Client, importId: string): Promise<ClaimedImport | 'busy' | 'gone'> {
  const locked = await client.query<{ ok: boolean }>(sql.TRY_LOCK_IMPORT, sql.importLockKey(importId));
  if (!locked.rows[0].ok) return 'busy';
  const started = await client.query<ClaimedImport>(sql.START_IMPORT, [importId]);
  return started.rows[0] ?? 'gone';
}

/**
 * A lane's checkpoint was not where this runner left it: another runner
 * took the import over. This one stops without touching anything.
 */
export class TakenOver extends Error {}
