import pg from 'pg';
import { runMigrations } from '../libs/common/src/database.js';
import { migrations } from '../migrations/index.js';
import { adminUrl, databaseUrl, templateDatabaseName } from './support/databases.js';

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Drops the test databases of runs that were killed before their teardown (their pid is gone). */
async function dropLeftovers(admin: pg.Client): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE datname LIKE 'herald\\_test\\_%'`,
  );
  for (const { datname } of rows) {
    const pid = /^herald_test_(?:tpl_)?(\d+)(?:_[0-9a-f]+)?$/.exec(datname)?.[1];
    if (pid === undefined || !isAlive(Number(pid))) {
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
    }
  }
}

/**
 * Migrates one template database per run; every test file then clones it
 * (CREATE DATABASE ... TEMPLATE), which takes milliseconds.
 */
export async function setup(): Promise<() => Promise<void>> {
  const name = templateDatabaseName();
  process.env.HERALD_TEST_TEMPLATE_DB = name;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await dropLeftovers(admin);
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)}`);
  await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  await admin.end();
  await runMigrations(databaseUrl(name), migrations);

  return async () => {
    const client = new pg.Client({ connectionString: adminUrl() });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    await client.end();
  };
}
