import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadConfig } from '@herald/common';
import { describe, expect, it } from 'vitest';
import { createApiApp } from '../apps/api/src/app.js';
import { createApiDocument } from '../apps/api/src/openapi.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COMMITTED = join(ROOT, 'apps/dashboard/src/api/openapi.d.ts');

/**
 * The dashboard's client types are generated from the OpenAPI document, never
 * written by hand; this fails when an API change was not carried over.
 */
describe('the dashboard client types', () => {
  it('are what the OpenAPI document the api serves generates (npm run dashboard:types)', async () => {
    const app = await createApiApp(
      loadConfig({ ...process.env, LOG_LEVEL: 'silent' }),
      { withWorker: false },
      { preview: true },
    );
    const document = createApiDocument(app);
    await app.close();
    const dir = await mkdtemp(join(tmpdir(), 'herald-openapi-'));
    try {
      await writeFile(join(dir, 'openapi.json'), JSON.stringify(document));
      await promisify(execFile)(
        join(ROOT, 'node_modules/.bin/openapi-typescript'),
        [
          join(dir, 'openapi.json'),
          '--redocly',
          join(ROOT, 'apps/dashboard/redocly.yaml'),
          '-o',
          join(dir, 'openapi.d.ts'),
        ],
        { cwd: ROOT },
      );
      const generated = await readFile(join(dir, 'openapi.d.ts'), 'utf8');
      expect(
        generated === (await readFile(COMMITTED, 'utf8')),
        'apps/dashboard/src/api/openapi.d.ts is stale: run npm run dashboard:types',
      ).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
