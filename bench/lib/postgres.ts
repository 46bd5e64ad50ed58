import pg from 'pg';

/** The server benchmarks create their databases on (BENCH_PG_URL), as its `postgres` database. */
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The URL of database `name` on that server. */
export function databaseUrl(name: string): string {
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs a statement that needs no database of its own (CREATE / DROP DATABASE). */
export async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A count for humans: 12,345. */
export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
