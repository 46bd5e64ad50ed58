import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestApp } from './app.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A real worker process, from the TypeScript sources, sharing the test
 * app's database and Redis prefix; resolves once it processes jobs. Its
 * reconciler runs every second.
 */
export async function startWorkerProcess(t: TestApp, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', './test/support/ts-loader/register.mjs', 'apps/worker/src/main.ts'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DATABASE_URL: t.config.DATABASE_URL,
        REDIS_URL: t.config.REDIS_URL,
        HERALD_QUEUE_PREFIX: t.config.HERALD_QUEUE_PREFIX,
        HERALD_RECONCILE_SECONDS: '1',
        HERALD_MIGRATE_ON_START: 'false',
        LOG_LEVEL: 'error',
        ...env,
      },
    },
  );
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('processing jobs')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${output}`)));
  });
  return child;
}

/** True while the process has neither exited nor been killed by a signal. */
export const isAlive = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;
