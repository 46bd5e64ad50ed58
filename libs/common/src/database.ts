import pg from 'pg';
import { DataSource, type DataSourceOptions, type MigrationInterface } from 'typeorm';

/** Raised when Postgres cannot be reached; the message says what to start. */
export class DatabaseUnavailableError extends Error {}

function describeTarget(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '5432'}`;
}

/**
 * Creates the database named in `url` when it does not exist yet, so that a
 * fresh install needs no manual `createdb`.
 */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL must name a database, e.g. postgres://postgres@127.0.0.1:5432/herald');
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new DatabaseUnavailableError(
      `PostgreSQL is not reachable at ${describeTarget(url)} (${(error as Error).message}). ` +
        `Start PostgreSQL or set DATABASE_URL.`,
    );
  }
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`).catch((error: { code?: string }) => {
        // Two processes starting together may race to create it.
        if (error.code !== '42P04') throw error;
      });
    }
  } finally {
    await client.end();
  }
}

/** A migration class, as the root `migrations/` folder lists them; the app hands them in. */
export type Migration = new () => MigrationInterface;

export interface PoolSettings {
  size: number;
  acquireTimeoutMs: number;
}

/** The connection settings; there are no entities (docs/ARCHITECTURE.md, "Data access"). */
export function dataSourceOptions(
  url: string,
  migrations: Migration[] = [],
  pool: PoolSettings = { size: 10, acquireTimeoutMs: 5000 },
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    // TypeORM's own logger prints failing and slow queries with their bound
    // parameters (addresses, key hashes). Failures reach the log only as
    // errors, through the `err` serializer of logging.ts, which drops them.
    logging: false,
    // connectionTimeoutMillis bounds both the wait for a free pooled connection
    // and the connect itself: a busy pool or a down server ends in a 503, not a hang.
    extra: { max: pool.size, connectionTimeoutMillis: pool.acquireTimeoutMs },
  };
}

/** Key of the advisory lock that serialises migrations; any constant will do, the same in every process. */
const MIGRATION_LOCK_KEY = '310617656388';

/**
 * Runs pending migrations inside one transaction each; returns their names.
 * Processes that start together (an api and a worker, several replicas) would
 * each apply the same migration and all but one would die on it: an advisory
 * lock makes them take turns, and the later ones find nothing left to do.
 */
export async function runMigrations(url: string, migrations: Migration[]): Promise<string[]> {
  const lock = new pg.Client({ connectionString: url });
  await lock.connect();
  try {
    // Held until this session ends (below), or until Postgres sees the process die.
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const dataSource = new DataSource(dataSourceOptions(url, migrations));
    await dataSource.initialize();
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await lock.end();
  }
}
