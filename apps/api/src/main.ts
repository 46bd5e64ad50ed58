import 'reflect-metadata';
import { AuthService } from '@herald/auth';
import { exitOnStartupFailure, prepareProcess } from '@herald/common';
import { migrations } from '../../../migrations/index.js';
import { createApiApp } from './app.js';

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  const config = await prepareProcess({ migrations, migrateOnly: args.has('--migrate-only') });
  if (args.has('--migrate-only')) return;

  const app = await createApiApp(config, {
    withWorker: args.has('--with-worker'),
    withRelay: args.has('--with-relay'),
  });
  await app.get(AuthService).ensureFirstAdmin();
  await app.listen(config.PORT, config.HOST);
  console.log(`Herald is listening on ${config.PUBLIC_URL} (API docs at ${config.PUBLIC_URL}/api/docs)`);
}

main().catch(exitOnStartupFailure('Herald'));
