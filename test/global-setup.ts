import pg from 'pg';
import { runMigrations } from '../libs/common/src/database.js';
import { migrations } from '../migrations/index.js';
import { ensureDashboardBuilt } from './support/dashboard-build.js';
import { adminUrl, databaseUrl, templateDatabaseName } from './support/databases.js';
import { deleteKeys, scanKeys, testPrefixPattern, testRedisUrl } from './support/redis-keys.js';
import { Redis } from 'ioredis';

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
/** Deletes the Redis keys of runs that were killed before their test files closed. */
async function deleteLeftoverKeys(): Promise<void> {
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
  try {
    const pids = new Set<number>();
    for (const key of await scanKeys(redis, 'herald-test-*')) {
      const pid = /^herald-test-(\d+)-/.exec(key)?.[1];
      if (pid !== undefined && !isAlive(Number(pid))) pids.add(Number(pid));
    }
    for (const pid of pids) await deleteKeys(testPrefixPattern(pid));
  } finally {
    redis.disconnect();
  }
}

export async function setup(): Promise<() => Promise<void>> {
  const name = templateDatabaseName();
  process.env.HERALD_TEST_TEMPLATE_DB = name;
  process.env.HERALD_TEST_RUN = String(process.pid);
  await deleteLeftoverKeys();
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await dropLeftovers(admin);
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)}`);
  await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  await admin.end();
  await runMigrations(databaseUrl(name), migrations);
  await ensureDashboardBuilt();

  return async () => {
    const client = new pg.Client({ connectionString: adminUrl() });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    await client.end();
    // Every test file deletes its own prefix when it closes; what is left here is a leak.
    const left = await deleteKeys(testPrefixPattern(process.pid));
    if (left.length > 0) {
      const prefixes = [...new Set(left.map((key) => key.split(':')[0]))];
      throw new Error(
        `The tests left ${left.length} Redis keys behind under ${prefixes.join(', ')} (now deleted): ` +
          `close every app a test starts (TestApp.close) and delete keys a test writes itself.`,
      );
    }
  };
}
