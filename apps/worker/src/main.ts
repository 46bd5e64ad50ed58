import 'reflect-metadata';
import {
  checkRedis,
  ConfigError,
  DatabaseUnavailableError,
  ensureDatabase,
  loadConfig,
  RedisUnavailableError,
  runMigrations,
} from '@herald/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { WorkerModule } from './worker.module.js';

async function main(): Promise<void> {
  const config = loadConfig();
  await ensureDatabase(config.DATABASE_URL);
  if (config.HERALD_MIGRATE_ON_START) await runMigrations(config.DATABASE_URL);
  await checkRedis(config.REDIS_URL);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
  console.log('Herald worker is processing jobs');
}

main().catch((error: unknown) => {
  if (
    error instanceof ConfigError ||
    error instanceof DatabaseUnavailableError ||
    error instanceof RedisUnavailableError
  ) {
    console.error(`Herald worker cannot start: ${error.message}`);
  } else {
    console.error('Herald worker cannot start:', error);
  }
  process.exit(1);
});
