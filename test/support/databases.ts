import { randomBytes } from 'node:crypto';
import pg from 'pg';

const BASE_URL = process.env.HERALD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function databaseUrl(name: string): string {
  const url = new URL(BASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export const adminUrl = (): string => databaseUrl('postgres');

/** Test databases carry the pid of the run that made them, so a later run can drop the leftovers of a killed one. */
export function templateDatabaseName(): string {
  return `herald_test_tpl_${process.pid}`;
}

const runPid = (template: string): string => template.replace('herald_test_tpl_', '');

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database of this test file's own. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = process.env.HERALD_TEST_TEMPLATE_DB;
  if (!template) throw new Error('HERALD_TEST_TEMPLATE_DB is unset: run tests through vitest (test/global-setup.ts)');
  const name = `herald_test_${runPid(template)}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(template)}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: databaseUrl(name),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl() });
      await client.connect();
      try {
        // Pools resolve end() before their sockets are closed; a forced drop
        // would then kill a connection whose error nobody listens to.
        for (let i = 0; i < 50; i += 1) {
          const { rows } = await client.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
            [name],
          );
          if (rows[0].n === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
