import { ConfigError, describeConfig, type HeraldConfig, loadConfig } from './config.js';
import { DatabaseUnavailableError, ensureDatabase, type Migration, runMigrations } from './database.js';
import { PrefixInUseError } from './installation.js';
import { checkRedis, RedisUnavailableError } from './redis.js';

/**
 * What every Herald process does before Nest starts: read the config, make
 * sure the database exists and is migrated (unless HERALD_MIGRATE_ON_START
 * is false), and that Redis answers. `migrateOnly` migrates whatever the
 * flag says and does not need Redis. The app hands in the migrations: they
 * live in the root `migrations/` folder, above every lib.
 */
export async function prepareProcess(options: {
  migrations: Migration[];
  migrateOnly?: boolean;
}): Promise<HeraldConfig> {
  const config = loadConfig();
  if (config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace') {
    console.log('Configuration (secrets masked):', describeConfig(config));
  }
  await ensureDatabase(config.DATABASE_URL);
  if (config.HERALD_MIGRATE_ON_START || options.migrateOnly) {
    const applied = await runMigrations(config.DATABASE_URL, options.migrations);
    if (applied.length > 0) console.log(`Applied migrations: ${applied.join(', ')}`);
  }
  if (!options.migrateOnly) await checkRedis(config.REDIS_URL);
  return config;
}

/** Ends a process that could not start: one line that says what to do for the failures an operator can fix. */
export function exitOnStartupFailure(what: string): (error: unknown) => never {
  return (error) => {
    if (
      error instanceof ConfigError ||
      error instanceof DatabaseUnavailableError ||
      error instanceof RedisUnavailableError ||
      error instanceof PrefixInUseError
    ) {
      console.error(`${what} cannot start: ${error.message}`);
    } else {
      console.error(`${what} cannot start:`, error);
    }
    process.exit(1);
  };
}
