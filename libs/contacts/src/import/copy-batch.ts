import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { TakenOver } from './import-claim.js';
import * as sql from './import.sql.js';
import type { Lane } from './lanes.js';

/** COPY text format: backslash, tab and line breaks escaped; `\N` is NULL. */
export function copyText(value: string | null): string {
  if (value === null) return '\\N';
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'))
    : value;
}

/**
 * A batch's COPY payload, written as bytes as each row is converted. Rows
 * kept as strings until the batch is sent would outlive the young
 * generation of the heap and grow it with the batch.
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

/** The rows of one lane between two checkpoints: staging lines for COPY, and the rows that failed. */
export class Batch {
  readonly copy = new CopyBuffer();
  staged = 0;
  readonly errorRows: number[] = [];
  readonly errorEmails: string[] = [];
  readonly errorReasons: string[] = [];
  /** The lane's checkpoint once this batch commits. */
  lastRow = 0;
  /** Bytes of the file read when the batch was cut: progress once it commits. */
  bytesRead = 0;

  stage(line: string): void {
    this.copy.append(line);
    this.staged += 1;
  }

  reject(row: number, email: string, reason: string): void {
    this.errorRows.push(row);
    this.errorEmails.push(email);
    this.errorReasons.push(reason);
    this.errorChars += email.length + reason.length;
  }

  get rows(): number {
    return this.staged + this.errorRows.length;
  }

  /** About what the batch holds in memory: its COPY text, and its errors' text. */
  get bytes(): number {
    return this.copy.length + this.errorChars;
  }

  private errorChars = 0;
}

/** Postgres gave up on a transaction that a retry may well complete: deadlock, serialization. */
const RETRYABLE = new Set(['40P01', '40001']);
const ATTEMPTS = 3;

/** What every batch of one import is merged with. */
export interface MergeTarget {
  importId: string;
  /** MERGE_UPSERT or MERGE_SKIP_EXISTING. */
  merge: string;
  listId: string | null;
}

/**
 * Sends the batches of one import run to their lanes: at most one batch per
 * lane in the database at a time, each lane's batches in the order they were
 * cut, so a lane's checkpoint only moves forward. The first failure is kept
 * in `failure` and stops nothing by itself: the caller checks it between
 * reads and settles before it reports.
 */
export class BatchWriter {
  failure: unknown;
  private readonly inflight: Promise<void>[];

  constructor(
    private readonly lanes: Lane[],
    private readonly target: MergeTarget,
  ) {
    this.inflight = lanes.map(() => Promise.resolve());
  }

  /** Waits for the lane's batch in the database, then hands it `batch`. */
  async send(lane: number, batch: Batch): Promise<void> {
    await this.inflight[lane];
    this.inflight[lane] = this.write(this.lanes[lane], batch).catch((error: unknown) => {
      this.failure ??= error;
    });
  }

  /** Every batch handed over is committed or has failed. */
  async settle(): Promise<void> {
    await Promise.all(this.inflight);
  }

  private async write(lane: Lane, batch: Batch): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.writeOnce(lane, batch);
        return;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (attempt >= ATTEMPTS || typeof code !== 'string' || !RETRYABLE.has(code)) throw error;
      }
    }
  }

  /** One batch in one transaction on its lane: staged rows merged, bad rows kept, checkpoint and counts moved. */
  private async writeOnce(lane: Lane, batch: Batch): Promise<void> {
    const { client } = lane;
    const { importId, merge, listId } = this.target;
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
        batch.bytesRead,
        lane.checkpoint,
      ]);
      const counted = await client.query(sql.COUNT_BATCH, [
        importId,
        batch.rows,
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
}
