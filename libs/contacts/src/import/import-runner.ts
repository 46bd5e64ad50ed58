import { HERALD_CONFIG, type HeraldConfig } from '@herald/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { parse } from 'csv-parse';
import iconv from 'iconv-lite';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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
    const needed = this.length + Buffer.byteLength(text);
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

/** COPY text format: backslash, tab and line breaks escaped; `\N` is NULL. */
function copyText(value: string | null): string {
  if (value === null) return '\\N';
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'))
    : value;
}

/** A column with everything the hot loop needs resolved once. */
type Column = ColumnPlan & { type?: FieldType; label: string };

/**
 * Runs one import: streams the stored file through the detected decoder into
 * csv-parse, turns each record into a staging line or a row error, and
 * loads batches through COPY + one merge statement (see import.sql.ts).
 * While Postgres merges a batch the next one is parsed, so the two cores
 * work at once; at most two batches are in memory.
 *
 * Resuming: `imports.rows_read` is the checkpoint, committed with each
 * batch. A rerun re-parses the file and skips rows up to it, so no row is
 * counted or merged twice. An advisory lock on the import's own connection
 * keeps a second runner out while the first is alive; the lock goes with
 * the connection when a worker dies.
 */
@Injectable()
export class ImportRunner {
  private readonly logger = new Logger(ImportRunner.name);

  constructor(@Inject(HERALD_CONFIG) private readonly config: HeraldConfig) {}

  async run(importId: string, signal: AbortSignal): Promise<RunOutcome> {
    const client = new pg.Client({ connectionString: this.config.DATABASE_URL, application_name: 'herald-import' });
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
        rows_read: number;
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

  private async load(
    client: pg.Client,
    importId: string,
    job: { file_path: string; list_id: string | null; mode: ImportMode; options: ImportOptions; rows_read: number },
    signal: AbortSignal,
  ): Promise<'loaded' | 'interrupted'> {
    const columns = await this.resolveColumns(client, job.options.columns);
    await client.query(sql.CREATE_STAGING);
    await client.query(sql.TUNE_SESSION);
    const merge = job.mode === 'skip-existing' ? sql.MERGE_SKIP_EXISTING : sql.MERGE_UPSERT;
    const batchRows = this.config.HERALD_IMPORT_BATCH_ROWS;
    let checkpoint = job.rows_read;

    const flush = async (batch: Batch): Promise<void> => {
      await client.query('BEGIN');
      try {
        let inserted = 0;
        let updated = 0;
        if (batch.staged > 0) {
          await pipeline(Readable.from([batch.copy.bytes()]), client.query(copyFrom(sql.COPY_STAGING)));
          const merged = await client.query<{ inserted: number; updated: number }>(merge, [job.list_id]);
          inserted = merged.rows[0].inserted;
          updated = merged.rows[0].updated;
        }
        if (batch.errorRows.length > 0) {
          await client.query(sql.INSERT_ERRORS, [importId, batch.errorRows, batch.errorEmails, batch.errorReasons]);
        }
        const skipped = batch.staged - inserted - updated;
        const advanced = await client.query(sql.ADVANCE_CHECKPOINT, [
          importId,
          batch.lastRow,
          batch.bytes,
          inserted,
          updated,
          skipped,
          batch.errorRows.length,
          checkpoint,
        ]);
        if (advanced.rowCount !== 1) throw new TakenOver();
        await client.query('COMMIT');
        checkpoint = batch.lastRow;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    };

    // Small reads keep the parse loop yielding often, so the batch in the database is
    // answered promptly and few parsed records wait in memory.
    const file = createReadStream(job.file_path, { highWaterMark: 64 * 1024 });
    let bytesRead = 0;
    file.on('data', (chunk) => (bytesRead += chunk.length));
    const parser = parse(parserOptions(job.options.delimiter));
    const streams = pipeline(file, iconv.decodeStream(job.options.encoding), parser);
    streams.catch(() => undefined); // surfaced by the parser's iterator below

    let inflight: Promise<void> = Promise.resolve();
    let batch = newBatch();
    let row = -1; // the header is record 0; data rows count from 1
    const send = async (): Promise<void> => {
      const ready = batch;
      batch = newBatch();
      await inflight; // at most one batch in the database at a time
      inflight = flush(ready);
      inflight.catch(() => undefined); // awaited before the next batch or at the end
    };

    try {
      for await (const record of parser as AsyncIterable<string[]>) {
        row += 1;
        if (row <= checkpoint) continue;
        try {
          batch.copy.append(this.toStagingLine(row, record, columns));
          batch.staged += 1;
        } catch (error) {
          if (!(error instanceof RowError)) throw error;
          batch.errorRows.push(row);
          batch.errorEmails.push(this.emailForError(record, columns));
          batch.errorReasons.push(error.message);
        }
        batch.lastRow = row;
        if (batch.staged + batch.errorRows.length >= batchRows) {
          batch.bytes = bytesRead;
          await send();
          if (signal.aborted) {
            parser.destroy();
            await inflight;
            return 'interrupted';
          }
        }
      }
    } catch (error) {
      // A read or parse error while a batch is in the database: let that batch
      // settle first, or the caller's ROLLBACK and failure update would be
      // queued between its statements on this one connection.
      await inflight.catch(() => undefined);
      throw error;
    }
    await inflight;
    if (batch.lastRow > 0) {
      batch.bytes = bytesRead;
      await flush(batch);
    }
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
    const types = new Map(fields.rows.map((f) => [f.name, f.type]));
    return plan.map((c) => ({
      ...c,
      type: c.target === 'attribute' ? types.get(c.field) : undefined,
      label: c.header === '' ? `column ${c.index + 1}` : truncate(c.header, MAX_LABEL),
    }));
  }

  /** Validates and converts one record; throws RowError with the reason it is skipped. */
  private toStagingLine(row: number, record: string[], columns: Column[]): string {
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
    return (
      `${row}\t${copyText(email)}\t${copyText(firstName)}\t${copyText(lastName)}\t${copyText(status)}\t` +
      `${copyText(attributes ? JSON.stringify(attributes) : '{}')}\t${copyText(consentSource)}\t${copyText(consentAt)}\n`
    );
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

/** Another runner advanced the checkpoint: this one stops without touching anything. */
class TakenOver extends Error {}
