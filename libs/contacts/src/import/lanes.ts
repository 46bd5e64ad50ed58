import type pg from 'pg';
import * as sql from './import.sql.js';

/** One connection an import merges through, with its own staging table and checkpoint. */
export interface Lane {
  index: number;
  client: pg.Client;
  /** Every row of this lane up to this row number is committed. */
  checkpoint: number;
}

/**
 * The lane an address goes to: FNV-1a of its lower-cased form. An address
 * Postgres lower-cases differently from JavaScript (rare Unicode) may land
 * in another lane than its twin; the merge's sorted order then still keeps
 * the lanes from deadlocking, and a retry covers what Postgres resolves.
 */
export function laneOf(key: string, lanes: number): number {
  if (lanes === 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % lanes;
}

/**
 * The import's lanes, created on its first start with `count` lanes (a
 * resume keeps the number the import started with, so the file splits the
 * same way). Lane 0 is `first`, the connection that holds the import's
 * lock; each other lane gets a connection of its own from `connect`.
 */
export async function openLanes(
  first: pg.Client,
  importId: string,
  count: number,
  connect: () => Promise<pg.Client>,
): Promise<Lane[]> {
  await first.query(sql.OPEN_LANES, [importId, count]);
  const rows = await first.query<{ lane: number; checkpoint_row: number }>(sql.LANES, [importId]);
  const lanes: Lane[] = [];
  try {
    for (const row of rows.rows) {
      const client = row.lane === 0 ? first : await connect();
      lanes.push({ index: row.lane, client, checkpoint: row.checkpoint_row });
      await client.query(sql.CREATE_STAGING);
      await client.query(sql.TUNE_SESSION);
    }
  } catch (error) {
    await closeLanes(lanes, first);
    throw error;
  }
  return lanes;
}

/** Ends every lane's connection but the first, which the caller owns. */
export async function closeLanes(lanes: Lane[], first: pg.Client): Promise<void> {
  await Promise.all(lanes.filter((l) => l.client !== first).map((l) => l.client.end().catch(() => undefined)));
}
