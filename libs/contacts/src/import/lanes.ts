import pg from 'pg';
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
 * The connections of one import run, each its own `pg.Client` (not one of
 * the pool's: a lane holds its temp staging table and its transaction for
 * the whole run, and the first connection the import's advisory lock).
 *
 * Each client has an `error` listener. Postgres dropping a connection
 * (restart, failover, a terminated backend) makes the client emit `error`,
 * and an `error` nobody listens to ends the whole process, api and worker
 * alike. Here it only marks the run as cut off: the connection's queries
 * fail, the run stops, and the import resumes from its checkpoints later.
 */
export class ImportConnections {
  /** Why a connection of this run was lost, if one was. */
  lost: Error | undefined;
  private readonly clients = new Set<pg.Client>();

  constructor(private readonly databaseUrl: string) {}

  async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      application_name: IMPORT_APPLICATION_NAME,
      // A database that is away (failover to an unreachable host) ends the attempt instead of hanging it.
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    client.on('error', (error) => (this.lost ??= error));
    this.clients.add(client);
    await client.connect();
    return client;
  }

  /** True when `error` means a connection of this run is gone, not that the import itself is at fault. */
  cutOff(error: unknown): boolean {
    return this.lost !== undefined || isConnectionLoss(error);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.clients].map((c) => c.end().catch(() => undefined)));
    this.clients.clear();
  }
}

const CONNECT_TIMEOUT_MS = 10_000;

/** How an import's connections show in `pg_stat_activity`. */
export const IMPORT_APPLICATION_NAME = 'herald-import';

/**
 * SQLSTATE classes 08 (connection exception) and 57 (operator intervention:
 * shutdown, terminated backend, server starting up), and what pg and Node
 * report when the socket itself goes away.
 */
function isConnectionLoss(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^(08|57)[0-9A-Z]{3}$/.test(code)) return true;
  if (typeof code === 'string' && ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(code)) return true;
  return /^Connection terminated|not queryable/i.test(error.message);
}

/**
 * The import's lanes, created on its first start with `count` lanes (a
 * resume keeps the number the import started with, so the file splits the
 * same way). Lane 0 is `first`, the connection that holds the import's
 * lock; each other lane gets a connection of its own.
 */
export async function openLanes(
  first: pg.Client,
  importId: string,
  count: number,
  connections: ImportConnections,
): Promise<Lane[]> {
  await first.query(sql.OPEN_LANES, [importId, count]);
  const rows = await first.query<{ lane: number; checkpoint_row: number }>(sql.LANES, [importId]);
  const lanes: Lane[] = [];
  for (const row of rows.rows) {
    const client = row.lane === 0 ? first : await connections.connect();
    lanes.push({ index: row.lane, client, checkpoint: row.checkpoint_row });
    await client.query(sql.CREATE_STAGING);
    await client.query(sql.TUNE_SESSION);
  }
  return lanes;
}
