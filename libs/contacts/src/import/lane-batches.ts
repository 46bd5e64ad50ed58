import { Batch } from './copy-batch.js';
import { laneOf } from './lanes.js';
import { type Column, emailForError, RowError, stagingLine } from './staging-rows.js';

/** When a lane's batch is cut. */
export interface BatchLimits {
  /** Rows (staged and failed) per batch. */
  rows: number;
  /**
   * Bytes of COPY text and row errors per batch: wide rows reach it long
   * before `rows`, and a lane holds two batches (one filling, one in the
   * database), so it bounds the memory an import takes.
   */
  bytes: number;
}

/**
 * Fills one batch per lane from the file's records: each good row goes to
 * the lane of its address (so every copy of an address is in one lane, in
 * file order), each bad row to lane 0, and rows a lane already committed
 * (up to its checkpoint) are passed over. `take` is called for every
 * record, header included; the caller cuts the batches that are full
 * between reads of the file (every 64 KiB), so a batch ends at most one
 * read past its limits.
 */
export class LaneBatches {
  /** The record last taken: 0 is the header, data rows count from 1. */
  row = -1;
  private readonly batches: Batch[];
  private readonly sent: number[];
  /** Rows up to here are in on every lane: skipped without being looked at. */
  private readonly everywhere: number;

  constructor(
    private readonly checkpoints: readonly number[],
    private readonly columns: Column[],
    private readonly limits: BatchLimits,
  ) {
    this.batches = checkpoints.map(() => new Batch());
    this.sent = checkpoints.map(() => 0);
    this.everywhere = Math.min(...checkpoints);
  }

  readonly take = (record: string[]): void => {
    const row = (this.row += 1);
    if (row <= this.everywhere) return;
    try {
      const line = stagingLine(row, record, this.columns);
      const lane = laneOf(line.key, this.batches.length);
      if (row > this.checkpoints[lane]) this.batches[lane].stage(line.text);
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      if (row > this.checkpoints[0]) this.batches[0].reject(row, emailForError(record, this.columns), error.message);
    }
  };

  /** The batches that reached a limit, cut at the current row, by lane. */
  *full(bytesRead: number): Generator<[number, Batch]> {
    for (let lane = 0; lane < this.batches.length; lane += 1) {
      const batch = this.batches[lane];
      // A short first batch per lane gets Postgres working while the rest of the file is parsed.
      const rows = this.sent[lane] === 0 ? Math.ceil(this.limits.rows / 10) : this.limits.rows;
      if (batch.rows >= rows || batch.bytes >= this.limits.bytes) yield [lane, this.cut(lane, this.row, bytesRead)];
    }
  }

  /** At the end of the file, every lane's last batch: each lane ends at the last row, even one given no row. */
  *rest(bytesRead: number): Generator<[number, Batch]> {
    for (let lane = 0; lane < this.batches.length; lane += 1) {
      yield [lane, this.cut(lane, Math.max(this.row, this.checkpoints[lane]), bytesRead)];
    }
  }

  private cut(lane: number, lastRow: number, bytesRead: number): Batch {
    const batch = this.batches[lane];
    batch.lastRow = lastRow;
    batch.bytesRead = bytesRead;
    this.batches[lane] = new Batch();
    this.sent[lane] += 1;
    return batch;
  }
}
