import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCES = [
  join(ROOT, 'apps/dashboard/src'),
  join(ROOT, 'apps/dashboard/index.html'),
  join(ROOT, 'apps/dashboard/vite.config.ts'),
];
const BUILT = join(ROOT, 'dist/dashboard/index.html');

function newestChange(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestChange(join(path, name))));
}

/**
 * Builds the dashboard when `dist/dashboard` is missing or older than its
 * sources, so browser tests run against the code under test whether or not
 * `npm run build` ran first (CI builds before testing; a developer may not).
 */
export async function ensureDashboardBuilt(): Promise<void> {
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= Math.max(...SOURCES.map(newestChange))) return;
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'apps/dashboard/vite.config.ts'), logLevel: 'warn' });
}
