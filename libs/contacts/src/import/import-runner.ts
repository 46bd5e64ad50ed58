import { HERALD_CONFIG, type HeraldConfig } from '@herald/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CsvError } from 'csv-parse';
import type pg from 'pg';
import type { FieldType } from '../attributes.js';
import { BatchWriter } from './copy-batch.js';
import { feedRecords } from './csv-records.js';
import { type ClaimedImport, claimImport, TakenOver } from './import-claim.js';
import * as sql from './import.sql.js';
import { LaneBatches } from './lane-batches.js';
import { ImportConnections, type Lane, openLanes } from './lanes.js';
import type { ColumnPlan } from './mapping.js';
import { type Column, describeColumns } from './staging-rows.js';
import { UploadMissing, UploadStore } from './upload-store.js';

/**
 * How a run ended: `interrupted` by a shutdown, or `lost` a database
 * connection, both to be resumed; `busy`: another runner holds the import;
 * `gone`: nothing left to run.
 */
export type RunOutcome = 'done' | 'failed' | 'interrupted' | 'lost' | 'busy' | 'gone';

/**
 * Runs one import: claims it (`import-claim.ts`), opens its lanes
 * (`lanes.ts`), streams the upload out of Postgres (`upload-store.ts`)
 * through csv-parse (`csv-records.ts`), turns each record into a staging line or a row error
 * and fills one batch per lane (`staging-rows.ts`, `lane-batches.ts`), and
 * loads the batches through COPY + one merge statement (`copy-batch.ts`,
 * `import.sql.ts`).
 *
 * Postgres merges on all lanes at once while the next batches are parsed;
 * the merge, not the parse, is what an import waits for.
 *
 * Resuming: each lane's checkpoint commits with each of its batches. A
 * rerun re-parses the file and skips the rows each lane already has, so no
 * row is counted or merged twice.
 */
@Injectable()
export class ImportRunner {
  private readonly logger = new Logger(ImportRunner.name);

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly uploads: UploadStore,
  ) {}

  async run(importId: string, signal: AbortSignal): Promise<RunOutcome> {
    const connections = new ImportConnections(this.config.DATABASE_URL);
    try {
      const client = await connections.connect();
      const job = await claimImport(client, importId);
      if (job === 'busy' || job === 'gone') return job;
      try {
        const outcome = await this.load(client, connections, importId, job, signal);
        if (outcome === 'interrupted') return outcome;
        await client.query(sql.END_IMPORT, [importId, 'done', null]);
        this.logger.log({ importId }, 'import.done');
        return 'done';
      } catch (error) {
        if (error instanceof TakenOver) return 'busy';
        if (connections.cutOff(error)) throw error;
        if (error instanceof UploadMissing || error instanceof CsvError) {
          this.logger.warn({ importId, reason: failureReason(error) }, 'import.failed');
        } else this.logger.error({ importId, error: loggable(error) }, 'import.failed');
        await client.query('ROLLBACK').catch(() => undefined);
        await client.query(sql.END_IMPORT, [importId, 'failed', failureReason(error)]);
        return 'failed';
      }
    } catch (error) {
      if (!connections.cutOff(error)) throw error;
      // The database went away under the run (restart, failover): nothing is wrong with the
      // import itself. Its open batches rolled back; it resumes from its checkpoints.
      const cause = connections.lost ?? error;
      this.logger.warn({ importId, reason: cause instanceof Error ? cause.message : '' }, 'import.connection_lost');
      return 'lost';
    } finally {
      await connections.closeAll();
    }
  }

  private async load(
    client: pg.Client,
    connections: ImportConnections,
    importId: string,
    job: ClaimedImport,
    signal: AbortSignal,
  ): Promise<'loaded' | 'interrupted'> {
    const columns = await this.resolveColumns(client, job.options.columns);
    const lanes = await openLanes(client, importId, this.config.HERALD_IMPORT_LANES, connections);
    return this.parseInto(lanes, importId, job, columns, signal);
  }

  private async parseInto(
    lanes: Lane[],
    importId: string,
    job: ClaimedImport,
    columns: Column[],
    signal: AbortSignal,
  ): Promise<'loaded' | 'interrupted'> {
    const merge = job.mode === 'skip-existing' ? sql.MERGE_SKIP_EXISTING : sql.MERGE_UPSERT;
    const writer = new BatchWriter(lanes, { importId, merge, listId: job.list_id });
    const batches = new LaneBatches(
      lanes.map((l) => l.checkpoint),
      columns,
      { rows: this.config.HERALD_IMPORT_BATCH_ROWS, bytes: this.config.HERALD_IMPORT_BATCH_BYTES },
    );
    try {
      let bytesRead = 0;
      for await (bytesRead of feedRecords(this.uploads.read(job.upload_id), job.options, batches.take)) {
        for (const [lane, batch] of batches.full(bytesRead)) await writer.send(lane, batch);
        if (writer.failure !== undefined) throw writer.failure;
        if (signal.aborted) {
          await writer.settle();
          return 'interrupted';
        }
      }
      for (const [lane, batch] of batches.rest(bytesRead)) await writer.send(lane, batch);
      await writer.settle();
    } catch (error) {
      // A read or parse error while batches are in the database: let them settle
      // first, or the caller's ROLLBACK and failure update would be queued
      // between a batch's statements on the first connection.
      await writer.settle();
      throw error;
    }
    if (writer.failure !== undefined) throw writer.failure;
    return 'loaded';
  }

  /** Attribute columns get their field's type; fields that do not exist yet are created as text. */
  private async resolveColumns(client: pg.Client, plan: ColumnPlan[]): Promise<Column[]> {
    const wanted = plan.flatMap((c) => (c.target === 'attribute' ? [c] : []));
    if (wanted.length > 0) {
      await client.query(sql.ENSURE_TEXT_FIELDS, [wanted.map((c) => c.field), wanted.map((c) => c.header)]);
    }
    const fields = await client.query<{ name: string; type: FieldType }>(
      'SELECT name, type FROM fields WHERE name = ANY($1)',
      [wanted.map((c) => c.field)],
    );
    return describeColumns(plan, new Map(fields.rows.map((f) => [f.name, f.type])));
  }
}

/**
 * What `GET /imports/:id` says about a failed import: the file's own
 * problem in its words, anything else in general terms. The details (a
 * database message, a stack) go to the log only: they may name servers,
 * paths or tables.
 */
function failureReason(error: unknown): string {
  if (error instanceof UploadMissing) return error.message;
  if (error instanceof CsvError) return `the file cannot be read: ${error.message}`.slice(0, 1000);
  return 'the import stopped on an internal error; the worker log has it as import.failed';
}

/**
 * A failure as the log keeps it: what and where, without the row values a
 * Postgres error carries in its `detail` ("Failing row contains ...").
 */
function loggable(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const { code, table, constraint } = error as { code?: unknown; table?: unknown; constraint?: unknown };
  return code === undefined
    ? { type: error.name, message: error.message, stack: error.stack }
    : { type: error.name, code, table, constraint, message: error.message };
}
