import 'reflect-metadata';
import { AuthService } from '@herald/auth';
import {
  checkRedis,
  ConfigError,
  DatabaseUnavailableError,
  ensureDatabase,
  loadConfig,
  RedisUnavailableError,
  runMigrations,
} from '@herald/common';
import { createApiApp } from './app.js';

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  const config = loadConfig();
  await ensureDatabase(config.DATABASE_URL);
  if (config.HERALD_MIGRATE_ON_START || args.has('--migrate-only')) {
    const applied = await runMigrations(config.DATABASE_URL);
    if (applied.length > 0) console.log(`Applied migrations: ${applied.join(', ')}`);
    if (args.has('--migrate-only')) return;
  }
  await checkRedis(config.REDIS_URL);

  const app = await createApiApp(config, { withWorker: args.has('--with-worker') });
  await app.get(AuthService).ensureFirstAdmin();
  await app.listen(config.PORT, config.HOST);
  console.log(`Herald is listening on ${config.PUBLIC_URL} (API docs at ${config.PUBLIC_URL}/api/docs)`);
}

main().catch((error: unknown) => {
  // Operators get one line that says what to do, not a stack trace.
  if (
    error instanceof ConfigError ||
    error instanceof DatabaseUnavailableError ||
    error instanceof RedisUnavailableError
  ) {
    console.error(`Herald cannot start: ${error.message}`);
  } else {
    console.error('Herald cannot start:', error);
  }
  process.exit(1);
});
