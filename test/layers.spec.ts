import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import herald from '../eslint/layers.js';

/**
 * The layering rule of docs/ARCHITECTURE.md, run through ESLint's Node API on
 * source text placed at a path in the repository: each import that breaks
 * the order must be reported, whether written as an alias or a relative path.
 */
const root = fileURLToPath(new URL('..', import.meta.url));

const linter = new ESLint({
  cwd: root,
  overrideConfigFile: true,
  overrideConfig: [
    {
      files: ['**/*.ts'],
      languageOptions: { parser: tseslint.parser },
      plugins: { herald },
      rules: { 'herald/layers': 'error' },
    },
  ],
});

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await linter.lintText(code, { filePath: `${root}/${filePath}` });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('the herald/layers lint rule', () => {
  it.each([
    ['a lib importing a higher lib by alias', 'libs/contacts/src/probe.ts', `import '@herald/segments';`],
    [
      'a lib importing a higher lib by path',
      'libs/contacts/src/export/probe.ts',
      `import '../../../segments/src/index.js';`,
    ],
    ['a lib importing a lib of its own layer', 'libs/segments/src/probe.ts', `export * from '@herald/templates';`],
    [
      'common importing a domain lib',
      'libs/common/src/probe.ts',
      `import { ContactsService } from '@herald/contacts';`,
    ],
    [
      'common importing the migrations',
      'libs/common/src/probe.ts',
      `import { migrations } from '../../../migrations/index.js';`,
    ],
    [
      'a lib importing an app',
      'libs/segments/src/probe.ts',
      `import { createApiApp } from '../../../apps/api/src/app.js';`,
    ],
    [
      'an app importing another app',
      'apps/api/src/probe.ts',
      `import { WorkerModule } from '../../worker/src/worker.module.js';`,
    ],
    ['a dynamic import upwards', 'libs/auth/src/probe.ts', `export const load = () => import('@herald/processors');`],
  ])('reports %s', async (_name, filePath, code) => {
    const found = await problems(filePath, code);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^herald\/layers: /);
  });

  it.each([
    [
      'a lib importing a lower lib',
      'libs/segments/src/probe.ts',
      `import '@herald/contacts'; import '@herald/common';`,
    ],
    ['a file of the same lib', 'libs/contacts/src/export/probe.ts', `import '../contacts/contacts.service.js';`],
    [
      'an app importing libs and the migrations',
      'apps/worker/src/probe.ts',
      `import '@herald/processors'; import '../../../migrations/index.js';`,
    ],
    ['a test importing an app', 'test/e2e/probe.ts', `import '../../apps/worker/src/worker.module.js';`],
  ])('allows %s', async (_name, filePath, code) => {
    expect(await problems(filePath, code)).toEqual([]);
  });

  it('is switched on for every lib and app by the project configuration', async () => {
    const project = new ESLint({ cwd: root });
    for (const file of ['libs/common/src/index.ts', 'libs/contacts/src/index.ts', 'apps/api/src/main.ts']) {
      const config = (await project.calculateConfigForFile(`${root}/${file}`)) as { rules: Record<string, unknown> };
      expect(config.rules['herald/layers'], file).toEqual([2]);
    }
  });
});
