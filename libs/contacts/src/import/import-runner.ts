import { HERALD_CONFIG, type HeraldConfig } from '@herald/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { parse } from 'csv-parse';
import iconv from 'iconv-lite';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { coerceAttribute, type FieldType, MAX_TEXT_LENGTH } from '../attributes.js';
import { normalizeEmail } from '../email.js';
import { type CsvDelimiter, type CsvEncoding, MAX_FIELD_CHARS, parserOptions } from './csv-format.js';
import * as sql from './import.sql.js';
import type { ImportMode } from './imports.dto.js';
import type { ColumnPlan } from './mapping.js';

/** What the upload stored in `imports.options` for the job. */
export interface ImportOptions {
  encoding: CsvEncoding;
  delimiter: CsvDelimiter;
  columns: ColumnPlan[];
  totalRows: number;
}

export type RunOutcome = 'done' | 'failed' | 'interrupted' | 'busy' | 'gone';

const STATUSES = new Set(['subscribed', 'unsubscribed', 'bounced', 'complained']);
/** Longest email kept in errors.csv; the reason already says what is wrong with it. */
const MAX_ERROR_EMAIL = 320;
/**
 * Longest column name quoted in a row's reason: a header can be 64 KiB long,
 * and repeating it in every failing row would multiply the file's size in
 * `import_errors`.
 */
const MAX_LABEL = 100;

/**
 * A batch's COPY payload, written as bytes as each row is converted. Keeping
 * the rows as strings until the batch is sent made every row outlive the
 * young generation, which grew the heap by ~100 MB over a large import.
 */
class CopyBuffer {
  private buf = Buffer.allocUnsafe(1024 * 1024);
  length = 0;

  append(text: string): void {
    // A UTF-16 code unit never takes more than 3 bytes of UTF-8: one pass over the text, not two.
    const needed = this.length + text.length * 3;
    if (needed > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(needed, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, this.length);
      this.buf = bigger;
    }
    this.length += this.buf.write(text, this.length);
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

interface Batch {
  copy: CopyBuffer;
  staged: number;
  errorRows: number[];
  errorEmails: string[];
  errorReasons: string[];
  lastRow: number;
  bytes: number;
}

const newBatch = (): Batch => ({
  copy: new CopyBuffer(),
  staged: 0,
  errorRows: [],
  errorEmails: [],
  errorReasons: [],
  lastRow: 0,
  bytes: 0,
});

class RowError extends Error {}

/**
 * Reads the stored file and hands each CSV record to `take` as csv-parse
 * emits it, within the write of its chunk (awaiting each record cost a
 * promise per row); after each 64 KiB read it yields the bytes read so far,
 * so the caller sends the batches that filled up before reading on, and the
 * file waits while the database is busy. UTF-8 goes to csv-parse as bytes;
 * other encodings through their decoder.
 */
async function* feedRecords(
  path: string,
  options: ImportOptions,
  take: (record: string[]) => void,
): AsyncGenerator<number> {
  let failure: unknown;
  const parser = parse({ ...parserOptions(options.delimiter), bom: options.encoding === 'utf-8' });
  parser.on('error', (error) => (failure ??= error));
  // Flowing: each record reaches `take` as the parser pushes it, inside write().
  parser.on('data', take);
  const decoder = options.encoding === 'utf-8' ? undefined : iconv.getDecoder(options.encoding);
  const file = createReadStream(path, { highWaterMark: 64 * 1024 });
  let bytesRead = 0;
  try {
    for await (const chunk of file as AsyncIterable<Buffer>) {
      bytesRead += chunk.length;
      const data = decoder ? decoder.write(chunk) : chunk;
      if (data.length > 0) parser.write(data);
      if (failure !== undefined) throw failure;
      yield bytesRead;
    }
    const rest = decoder?.end();
    if (rest) parser.write(rest);
    parser.end();
    await finished(parser);
    if (failure !== undefined) throw failure;
  } finally {
    file.destroy();
    parser.destroy();
  }
}

/** COPY text format: backslash, tab and line breaks escaped; `\N` is NULL. */
function copyText(value: string | null): string {
  if (value === null) return '\\N';
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'))
    : value;
}

/** A column with everything the hot loop needs resolved once. */
type Column = ColumnPlan & { type?: FieldType; label: string };

/** One connection an import merges through, with the batch it is filling and the one in the database. */
interface Lane {
  index: number;
  client: pg.Client;
  /** Every row of this lane up to this row number is committed. */
  checkpoint: number;
  batch: Batch;
  inflight: Promise<void>;
  /** Batches handed to the connection by this run. */
  sent: number;
}

/** Postgres gave up on a transaction that a retry may well complete: deadlock, serialization. */
const RETRYABLE = new Set(['40P01', '40001']);
const FLUSH_ATTEMPTS = 3;

/**
 * Runs one import: streams the stored file into csv-parse (see
 * `feedRecords`), turns each record into a staging line or a row error, and
 * loads batches through COPY + one merge statement (see import.sql.ts).
 *
 * Rows are spread over lanes, one database connection each, by a hash of
 * the lower-cased email: every copy of an address lands in the same lane,
 * in file order, so the last one in the file still wins, and the lanes
 * never write the same contact. Postgres merges on all lanes at once while
 * the next batches are parsed; the merge, not the parse, is what an import
 * waits for. Bad rows go to lane 0.
 *
 * Resuming: each lane's checkpoint (`import_lanes.checkpoint_row`) commits
 * with each of its batches. A rerun re-parses the file and skips the rows
 * each lane already has, so no row is counted or merged twice. An advisory
 * lock on the import's first connection keeps a second runner out while
 * the first is alive; the lock goes with the connection when a worker dies.
 */
@Injectable()
export class ImportRunner {
  private readonly logger = new Logger(ImportRunner.name);

  constructor(@Inject(HERALD_CONFIG) private readonly config: HeraldConfig) {}

  async run(importId: string, signal: AbortSignal): Promise<RunOutcome> {
    const client = this.connect();
    await client.connect();
    try {
      const locked = await client.query<{ ok: boolean }>(sql.TRY_LOCK_IMPORT, sql.importLockKey(importId));
      if (!locked.rows[0].ok) return 'busy';
      const started = await client.query<{
        file_path: string;
        size_bytes: number;
        list_id: string | null;
        mode: ImportMode;
        options: ImportOptions;
      }>(sql.START_IMPORT, [importId]);
      if (started.rowCount === 0) return 'gone';
      const job = started.rows[0];
      try {
        const outcome = await this.load(client, importId, job, signal);
        if (outcome === 'interrupted') return outcome;
        await client.query(sql.FINISH_IMPORT, [importId]);
        await rm(job.file_path, { force: true });
        this.logger.log({ importId }, 'import.done');
        return 'done';
      } catch (error) {
        if (error instanceof TakenOver) return 'busy';
        const message = error instanceof Error ? error.message : String(error);
        this.logger.error({ importId, err: error }, 'import.failed');
        await client.query('ROLLBACK').catch(() => undefined);
        await client.query(sql.FAIL_IMPORT, [importId, message.slice(0, 1000)]);
        await rm(job.file_path, { force: true });
        return 'failed';
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private connect(): pg.Client {
    return new pg.Client({ connectionString: this.config.DATABASE_URL, application_name: 'herald-import' });
  }

  /** The import's lanes: the first on the locked connection, each other one on a connection of its own. */
  private async openLanes(client: pg.Client, importId: string): Promise<Lane[]> {
    await client.query(sql.OPEN_LANES, [importId, this.config.HERALD_IMPORT_LANES]);
    const rows = await client.query<{ lane: number; checkpoint_row: number }>(sql.LANES, [importId]);
    const lanes: Lane[] = [];
    try {
      for (const row of rows.rows) {
        const laneClient = row.lane === 0 ? client : this.connect();
        lanes.push({
          index: row.lane,
          client: laneClient,
          checkpoint: row.checkpoint_row,
          batch: newBatch(),
          inflight: Promise.resolve(),
          sent: 0,
        });
        if (laneClient !== client) await laneClient.connect();
        await laneClient.query(sql.CREATE_STAGING);
        await laneClient.query(sql.TUNE_SESSION);
      }
    } catch (error) {
      await closeLanes(lanes, client);
      throw error;
    }
    return lanes;
  }

  private async load(
    client: pg.Client,
    importId: string,
    job: { file_path: string; list_id: string | null; mode: ImportMode; options: ImportOptions },
    signal: AbortSignal,
  ): Promise<'loaded' | 'interrupted'> {
    const columns = await this.resolveColumns(client, job.options.columns);
    const lanes = await this.openLanes(client, importId);
    try {
      return await this.parseInto(lanes, importId, job, columns, signal);
    } finally {
      await closeLanes(lanes, client);
    }
  }

  private async parseInto(
    lanes: Lane[],
    importId: string,
    job: { file_path: string; list_id: string | null; mode: ImportMode; options: ImportOptions },
    columns: Column[],
    signal: AbortSignal,
  ): Promise<'loaded' | 'interrupted'> {
    const merge = job.mode === 'skip-existing' ? sql.MERGE_SKIP_EXISTING : sql.MERGE_UPSERT;
    const batchRows = this.config.HERALD_IMPORT_BATCH_ROWS;
    // A short first batch per lane gets Postgres working while the rest of the file is parsed.
    const firstBatchRows = Math.ceil(batchRows / 10);
    // Rows up to here are in on every lane: skipped without being looked at.
    const everywhere = Math.min(...lanes.map((l) => l.checkpoint));
    let failure: unknown;

    const flush = async (lane: Lane, batch: Batch): Promise<void> => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          await this.flushOnce(lane, batch, importId, merge, job.list_id);
          return;
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          if (attempt >= FLUSH_ATTEMPTS || typeof code !== 'string' || !RETRYABLE.has(code)) throw error;
        }
      }
    };

    /** Hands a lane's batch, cut at `row`, to its connection once the one before it is in. */
    const send = async (lane: Lane, row: number, bytes: number): Promise<void> => {
      const ready = lane.batch;
      ready.lastRow = row;
      ready.bytes = bytes;
      lane.batch = newBatch();
      lane.sent += 1;
      await lane.inflight; // at most one batch per lane in the database at a time
      lane.inflight = flush(lane, ready).catch((error: unknown) => {
        failure ??= error;
      });
    };
    const settle = () => Promise.all(lanes.map((l) => l.inflight));

    let row = -1; // the header is record 0; data rows count from 1
    const take = (record: string[]): void => {
      row += 1;
      if (row <= everywhere) return;
      try {
        const line = this.toStagingLine(row, record, columns);
        const lane = lanes[laneOf(line.key, lanes.length)];
        if (row <= lane.checkpoint) return;
        lane.batch.copy.append(line.text);
        lane.batch.staged += 1;
      } catch (error) {
        if (!(error instanceof RowError)) throw error;
        const lane = lanes[0];
        if (row <= lane.checkpoint) return;
        lane.batch.errorRows.push(row);
        lane.batch.errorEmails.push(this.emailForError(record, columns));
        lane.batch.errorReasons.push(error.message);
      }
    };

    try {
      let bytesRead = 0;
      for await (bytesRead of feedRecords(job.file_path, job.options, take)) {
        for (const lane of lanes) {
          const size = lane.batch.staged + lane.batch.errorRows.length;
          if (size >= (lane.sent === 0 ? firstBatchRows : batchRows)) await send(lane, row, bytesRead);
        }
        if (failure !== undefined) throw failure;
        if (signal.aborted) {
          await settle();
          return 'interrupted';
        }
      }
      // Every lane ends at the last row, even one this run gave no row to.
      for (const lane of lanes) await send(lane, Math.max(row, lane.checkpoint), bytesRead);
      await settle();
    } catch (error) {
      // A read or parse error while batches are in the database: let them settle
      // first, or the caller's ROLLBACK and failure update would be queued
      // between a batch's statements on the first connection.
      await settle();
      throw error;
    }
    if (failure !== undefined) throw failure;
    return 'loaded';
  }

  /** One batch in one transaction on its lane: staged rows merged, bad rows kept, checkpoint and counts moved. */
  private async flushOnce(
    lane: Lane,
    batch: Batch,
    importId: string,
    merge: string,
    listId: string | null,
  ): Promise<void> {
    const { client } = lane;
    if (batch.lastRow <= lane.checkpoint) return; // an end-of-file batch on a lane that already has everything
    await client.query('BEGIN');
    try {
      let inserted = 0;
      let updated = 0;
      if (batch.staged > 0) {
        await pipeline(Readable.from([batch.copy.bytes()]), client.query(copyFrom(sql.COPY_STAGING)));
        const merged = await client.query<{ inserted: number; updated: number }>(merge, [listId]);
        inserted = merged.rows[0].inserted;
        updated = merged.rows[0].updated;
      }
      if (batch.errorRows.length > 0) {
        await client.query(sql.INSERT_ERRORS, [importId, batch.errorRows, batch.errorEmails, batch.errorReasons]);
      }
      const advanced = await client.query(sql.ADVANCE_LANE, [
        importId,
        lane.index,
        batch.lastRow,
        batch.bytes,
        lane.checkpoint,
      ]);
      const counted = await client.query(sql.COUNT_BATCH, [
        importId,
        batch.staged + batch.errorRows.length,
        inserted,
        updated,
        batch.staged - inserted - updated,
        batch.errorRows.length,
      ]);
      if (advanced.rowCount !== 1 || counted.rowCount !== 1) throw new TakenOver();
      await client.query('COMMIT');
      lane.checkpoint = batch.lastRow;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
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
    const types = new Map(fields.rows.map((f) => [f.name, f.type]));
    return plan.map((c) => ({
      ...c,
      type: c.target === 'attribute' ? types.get(c.field) : undefined,
      label: c.header === '' ? `column ${c.index + 1}` : truncate(c.header, MAX_LABEL),
    }));
  }

  /** Validates and converts one record; throws RowError with the reason it is skipped. */
  private toStagingLine(row: number, record: string[], columns: Column[]): { key: string; text: string } {
    let email: string | null = null;
    let firstName: string | null = null;
    let lastName: string | null = null;
    let status: string | null = null;
    let consentSource: string | null = null;
    let consentAt: string | null = null;
    let attributes: Record<string, string | number | boolean> | undefined;
    let emailSeen = false;
    for (const column of columns) {
      const raw = record[column.index];
      if (raw === undefined) {
        if (column.target === 'email') break;
        continue;
      }
      if (raw.length > MAX_FIELD_CHARS) {
        throw new RowError(`"${column.label}" is longer than ${MAX_FIELD_CHARS} characters`);
      }
      // Postgres text cannot hold NUL; one stray byte must not fail the whole batch.
      if (raw.includes('\u0000')) throw new RowError(`"${column.label}" contains a NUL character`);
      switch (column.target) {
        case 'email': {
          emailSeen = true;
          const checked = normalizeEmail(raw);
          if (!checked.ok) throw new RowError(checked.reason);
          email = checked.email;
          break;
        }
        case 'firstName':
          firstName = textValue(raw, column.label);
          break;
        case 'lastName':
          lastName = textValue(raw, column.label);
          break;
        case 'consentSource':
          consentSource = textValue(raw, column.label);
          break;
        case 'consentAt': {
          const coerced = coerceAttribute('date', raw);
          if (!coerced.ok) throw new RowError(`"${column.label}" ${coerced.reason}`);
          consentAt = coerced.value as string | null;
          break;
        }
        case 'status': {
          const value = raw.trim().toLowerCase();
          if (value === '') break;
          if (!STATUSES.has(value)) {
            throw new RowError(`"${column.label}" must be one of subscribed, unsubscribed, bounced, complained`);
          }
          status = value;
          break;
        }
        case 'attribute': {
          const coerced = coerceAttribute(column.type ?? 'text', raw);
          if (!coerced.ok) throw new RowError(`"${column.label}" ${coerced.reason}`);
          // An empty cell leaves the stored value alone rather than erasing it.
          if (coerced.value !== null) (attributes ??= {})[column.field] = coerced.value;
          break;
        }
      }
    }
    if (!emailSeen || email === null) throw new RowError('email is missing');
    return {
      key: email.toLowerCase(),
      text:
        `${row}\t${copyText(email)}\t${copyText(firstName)}\t${copyText(lastName)}\t${copyText(status)}\t` +
        `${copyText(attributes ? JSON.stringify(attributes) : '{}')}\t${copyText(consentSource)}\t${copyText(consentAt)}\n`,
    };
  }

  private emailForError(record: string[], columns: Column[]): string {
    const column = columns.find((c) => c.target === 'email');
    const raw = column ? (record[column.index] ?? '') : '';
    // The reason may be that very NUL, which Postgres text cannot store.
    return raw.trim().slice(0, MAX_ERROR_EMAIL).replaceAll('\u0000', '\uFFFD');
  }
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function textValue(raw: string, label: string): string | null {
  const value = raw.trim();
  if (value.length > MAX_TEXT_LENGTH) throw new RowError(`"${label}" is longer than ${MAX_TEXT_LENGTH} characters`);
  return value === '' ? null : value;
}

/**
 * The lane an address goes to: FNV-1a of its lower-cased form. An address
 * Postgres lower-cases differently from JavaScript (rare Unicode) may land
 * in another lane than its twin; the merge's sorted order then still keeps
 * the lanes from deadlocking, and a retry covers what Postgres resolves.
 */
export function laneOf(key: string, lanes: number): number {
  if (lanes === 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % lanes;
}

async function closeLanes(lanes: Lane[], first: pg.Client): Promise<void> {
  await Promise.all(lanes.filter((l) => l.client !== first).map((l) => l.client.end().catch(() => undefined)));
}

/** Another runner advanced the checkpoint: this one stops without touching anything. */
class TakenOver extends Error {}
