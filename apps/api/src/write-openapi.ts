import 'reflect-metadata';
import { loadConfig } from '@herald/common';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createApiApp } from './app.js';
import { createApiDocument } from './openapi.js';

/**
 * Writes the OpenAPI document that /api/docs-json serves to the file named
 * on the command line, without Postgres or Redis: the app is created in
 * preview mode, which maps the routes but connects nothing.
 */
async function main(): Promise<void> {
  const target = process.argv[2];
  if (!target) throw new Error('usage: write-openapi <file.json>');
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
  const app = await createApiApp(config, { withWorker: false }, { preview: true });
  const document = createApiDocument(app);
  await app.close();
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, `${JSON.stringify(document, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error('Cannot write the OpenAPI document:', error);
  process.exit(1);
});
