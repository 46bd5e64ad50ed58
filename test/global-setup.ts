import pg from 'pg';
import { runMigrations } from '../libs/common/src/database.js';
import { adminUrl, databaseUrl, templateDatabaseName } from './support/databases.js';

/**
 * Migrates one template database per run; every test file then clones it
 * (CREATE DATABASE ... TEMPLATE), which takes milliseconds.
 */
export async function setup(): Promise<() => Promise<void>> {
  const name = templateDatabaseName();
  process.env.HERALD_TEST_TEMPLATE_DB = name;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)}`);
  await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  await admin.end();
  await runMigrations(databaseUrl(name));

  return async () => {
    const client = new pg.Client({ connectionString: adminUrl() });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    await client.end();
  };
}
