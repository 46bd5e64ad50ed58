import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { runMigrations } from '../libs/common/src/database.js';
import { migrations } from '../migrations/index.js';
import { adminUrl, databaseUrl } from './support/databases.js';

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('runMigrations', () => {
  const name = `herald_test_mig_${randomBytes(5).toString('hex')}`;
  afterEach(async () => admin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`));

  it('lets processes that start together on an empty database all start', async () => {
    await admin(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    const results = await Promise.all([1, 2, 3].map(() => runMigrations(databaseUrl(name), migrations)));
    // Exactly one process applied each migration; the others found it done.
    expect(results.flat().sort()).toEqual(migrations.map((m) => new m().name).sort());
    expect(results.filter((applied) => applied.length > 0)).toHaveLength(1);
    expect(await runMigrations(databaseUrl(name), migrations)).toEqual([]);
  });
});
