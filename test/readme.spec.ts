import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ADMIN_EMAIL } from '../libs/auth/src/auth.service.js';
import { CONFIG_VARIABLES, loadConfig } from '../libs/common/src/config.js';

/** The README's configuration table: variable names and the defaults it shows, from backticked cells. */
async function documentedVariables(): Promise<Map<string, string | undefined>> {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.split('## Configuration')[1].split('\n## ')[0];
  const documented = new Map<string, string | undefined>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    if (cells.length < 4 || !cells[1].startsWith('`')) continue;
    const ticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    const names = ticked(cells[1]);
    const defaults = ticked(cells[2]);
    names.forEach((name, i) => documented.set(name, defaults.length === names.length ? defaults[i] : undefined));
  }
  return documented;
}

describe('README configuration table', () => {
  it('lists every variable the code reads, and no other', async () => {
    const documented = await documentedVariables();
    expect([...documented.keys()].sort()).toEqual(Object.keys(CONFIG_VARIABLES).sort());
  });

  it('shows the defaults the code applies', async () => {
    const defaults = { ...loadConfig({}), HERALD_ADMIN_EMAIL: DEFAULT_ADMIN_EMAIL } as Record<string, unknown>;
    for (const [name, shown] of await documentedVariables()) {
      // A default in prose ("generated once", "unset (open)") means the code has none.
      expect(shown, name).toBe(defaults[name] === undefined ? undefined : String(defaults[name]));
    }
  });
});
