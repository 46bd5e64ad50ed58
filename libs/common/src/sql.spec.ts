import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { dataSourceOptions } from './database.js';
import { Db, prepared } from './sql.js';

let database: TestDatabase;
let dataSource: DataSource;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  dataSource = new DataSource(dataSourceOptions(database.url));
  await dataSource.initialize();
  db = new Db(dataSource);
  await db.execute('CREATE TABLE probe (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL)');
});

afterAll(async () => {
  await dataSource?.destroy();
  await database?.drop();
});

describe('Db', () => {
  it('returns bigint ids as strings and sorts them as numbers, with no cast', async () => {
    const { id } = await db.one<{ id: string }>(`INSERT INTO probe (name) VALUES ('first') RETURNING id`);
    expect(id).toBe('1');
    await db.execute(`INSERT INTO probe (name) SELECT 'n' || g FROM generate_series(2, 10) AS g`);
    const rows = await db.rows<{ id: string }>('SELECT id FROM probe ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
  });

  it('counts the rows an UPDATE or DELETE touched, without RETURNING', async () => {
    expect(await db.execute(`UPDATE probe SET name = upper(name) WHERE id <= $1`, [3])).toBe(3);
    expect(await db.execute(`DELETE FROM probe WHERE id = $1`, ['999'])).toBe(0);
    expect(await db.execute(`DELETE FROM probe WHERE id = $1`, ['10'])).toBe(1);
  });

  it('tells a missing row apart: maybeOne gives undefined, one throws', async () => {
    expect(await db.maybeOne('SELECT 1 FROM probe WHERE id = $1', ['999'])).toBeUndefined();
    await expect(db.one('SELECT 1 FROM probe WHERE id = $1', ['999'])).rejects.toThrow(/expected a row/);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await db.transaction((tx) => tx.execute(`INSERT INTO probe (name) VALUES ('kept')`));
    await expect(
      db.transaction(async (tx) => {
        await tx.execute(`INSERT INTO probe (name) VALUES ('dropped')`);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const names = (await db.rows<{ name: string }>(`SELECT name FROM probe WHERE name IN ('kept', 'dropped')`)).map(
      (r) => r.name,
    );
    expect(names).toEqual(['kept']);
  });

  it('runs a prepared statement by its name, kept by the connection, with the same results as plain text', async () => {
    const rename = prepared(`UPDATE probe SET name = $2 WHERE id = $1 RETURNING id, name`);
    expect(await db.execute(rename, ['2', 'renamed'])).toBe(1);
    expect(await db.maybeOne(rename, ['999', 'nobody'])).toBeUndefined();
    const seen = await db.transaction(async (tx) => {
      expect(await tx.one(rename, ['3', 'again'])).toEqual({ id: '3', name: 'again' });
      return tx.rows<{ name: string }>(`SELECT name FROM pg_prepared_statements WHERE name = $1`, [rename.name]);
    });
    expect(seen).toEqual([{ name: rename.name }]);
    const failure = await db.execute(prepared(`INSERT INTO probe (id, name) VALUES (1, 'x')`)).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: '428C9' }); // a GENERATED ALWAYS column: Postgres's own code comes through
  });

  it('lends a pooled client once, and a discarded one never comes back to the pool', async () => {
    const first = await db.pooledClient();
    const pid = (await first.client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    first.release(true);
    first.release(); // a second release is a no-op, not a double release
    // The connection closes asynchronously: wait (bounded) for its backend to go.
    let alive = true;
    for (let i = 0; i < 50 && alive; i += 1) {
      alive = (await db.maybeOne('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])) !== undefined;
      if (alive) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(alive).toBe(false);
  });
});
