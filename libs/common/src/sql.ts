import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { DataSource, type QueryRunner } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/**
 * How every lib talks to Postgres: SQL text with `$n` parameters, rows typed
 * by the caller. Columns come back as the pg driver gives them: bigint ids as
 * strings, timestamptz as Date, jsonb parsed. See docs/ARCHITECTURE.md,
 * "Data access".
 */
export interface Sql {
  /** Every row the statement returns. */
  rows<T>(text: Statement, params?: readonly unknown[]): Promise<T[]>;
  /** The first row, or undefined when there is none. */
  maybeOne<T>(text: Statement, params?: readonly unknown[]): Promise<T | undefined>;
  /** The one row a statement always returns (an INSERT ... RETURNING, a count); none is a bug. */
  one<T>(text: Statement, params?: readonly unknown[]): Promise<T>;
  /** Runs a statement for its effect; returns how many rows it inserted, updated or deleted. */
  execute(text: Statement, params?: readonly unknown[]): Promise<number>;
}

/**
 * A statement Postgres parses once per connection and keeps (a named
 * prepared statement), so that each run skips parsing and, once Postgres
 * settles on a generic plan, planning. For the few fixed statements that
 * run per message sent or received; SQL built per request (segments,
 * filters) stays plain text, as a connection keeps every statement it
 * prepared for as long as it lives.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

export type Statement = string | PreparedStatement;

export function prepared(text: string): PreparedStatement {
  return { name: `herald_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`, text };
}

/** The SQL text of a statement, for error messages. */
const textOf = (statement: Statement) => (typeof statement === 'string' ? statement : statement.text);

/** A connection of the pool for what plain queries cannot do (COPY streams); see `Db.pooledClient`. */
export interface PooledClient {
  client: pg.PoolClient;
  /**
   * Gives the connection back exactly once. `destroy` closes it instead, for
   * a connection left in an unknown protocol state (a COPY cut short).
   */
  release(destroy?: boolean): void;
}

async function run(
  runner: QueryRunner,
  statement: Statement,
  params: readonly unknown[] | undefined,
): Promise<{ records: unknown[]; affected?: number }> {
  if (typeof statement === 'string') {
    // The structured result carries the rows and the row count whatever the command.
    return runner.query(statement, params ? [...params] : undefined, true) as Promise<{
      records: unknown[];
      affected?: number;
    }>;
  }
  // TypeORM's query takes text only; a named statement goes to the runner's own pg connection.
  const client = (await runner.connect()) as pg.PoolClient;
  const result = await client.query({ name: statement.name, text: statement.text, values: params ? [...params] : [] });
  return { records: result.rows, affected: result.rowCount ?? undefined };
}

/** `maybeOne` and `one` from `rows`, for every `Sql`. */
abstract class RowsSql implements Sql {
  abstract rows<T>(text: Statement, params?: readonly unknown[]): Promise<T[]>;
  abstract execute(text: Statement, params?: readonly unknown[]): Promise<number>;

  async maybeOne<T>(text: Statement, params?: readonly unknown[]): Promise<T | undefined> {
    return (await this.rows<T>(text, params))[0];
  }

  async one<T>(text: Statement, params?: readonly unknown[]): Promise<T> {
    const rows = await this.rows<T>(text, params);
    if (rows.length === 0) throw new Error(`expected a row from: ${textOf(text).trim().slice(0, 80)}`);
    return rows[0];
  }
}

/** `Sql` over one TypeORM query runner: a transaction, or a single statement. */
class RunnerSql extends RowsSql {
  constructor(private readonly runner: QueryRunner) {
    super();
  }

  async rows<T>(text: Statement, params?: readonly unknown[]): Promise<T[]> {
    return (await run(this.runner, text, params)).records as T[];
  }

  async execute(text: Statement, params?: readonly unknown[]): Promise<number> {
    return (await run(this.runner, text, params)).affected ?? 0;
  }
}

/**
 * The database, injectable everywhere (HeraldCoreModule). Statements run on
 * TypeORM's pool; `transaction` hands its work an `Sql` bound to one
 * connection, which services pass to each other's methods that must join it.
 */
@Injectable()
export class Db extends RowsSql {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async rows<T>(text: Statement, params?: readonly unknown[]): Promise<T[]> {
    if (typeof text !== 'string') return (await this.preparedOnce(text, params)).records as T[];
    return this.once((sql) => sql.rows<T>(text, params));
  }

  async execute(text: Statement, params?: readonly unknown[]): Promise<number> {
    if (typeof text !== 'string') return (await this.preparedOnce(text, params)).affected;
    return this.once((sql) => sql.execute(text, params));
  }

  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => {
      if (manager.queryRunner === undefined) throw new Error('a TypeORM transaction always has a query runner');
      return work(new RunnerSql(manager.queryRunner));
    });
  }

  /** How full the pool is, so `/health` can tell a busy pool from an outage; undefined before it connects. */
  poolUsage(): { total: number; idle: number; size: number } | undefined {
    const pool = this.pool();
    return pool && { total: pool.totalCount, idle: pool.idleCount, size: pool.options.max ?? 10 };
  }

  /** Errors of idle pooled connections (a server restart), which nothing else would see. */
  onPoolError(listener: (error: Error) => void): void {
    this.pool()?.on('error', listener);
  }

  private pool(): pg.Pool | undefined {
    if (!this.dataSource.isInitialized) return undefined;
    return (this.dataSource.driver as PostgresDriver).master as pg.Pool | undefined;
  }

  /**
   * A raw pg client from the same pool, for streams (`COPY ... TO STDOUT`).
   * The caller owns it until `release`; holding it holds a pool slot.
   */
  async pooledClient(): Promise<PooledClient> {
    // TypeORM's driver API for a master connection; its release callback
    // destroys the connection when given an error, as pg-pool does.
    const driver = this.dataSource.driver as PostgresDriver;
    const [client, release] = (await driver.obtainMasterConnection()) as [pg.PoolClient, (error?: Error) => void];
    let released = false;
    return {
      client,
      release: (destroy = false) => {
        if (released) return;
        released = true;
        release(destroy ? new Error('connection discarded') : undefined);
      },
    };
  }

  /** A named statement straight on the pool: no query runner to make and release for each run. */
  private async preparedOnce(statement: PreparedStatement, params: readonly unknown[] | undefined) {
    const pool = this.pool();
    if (pool === undefined) throw new Error('the database is not connected');
    const result = await pool.query({ name: statement.name, text: statement.text, values: params ? [...params] : [] });
    return { records: result.rows as unknown[], affected: result.rowCount ?? 0 };
  }

  private async once<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await work(new RunnerSql(runner));
    } finally {
      await runner.release();
    }
  }
}
