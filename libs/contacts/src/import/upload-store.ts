import { Db, parseId } from '@herald/common';
import { Injectable } from '@nestjs/common';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { to as copyTo } from 'pg-copy-streams';
import { singleBinaryField } from './copy-binary.js';
import { CsvInspector, type Inspection } from './csv-format.js';
import * as sql from './import.sql.js';

/** An upload kept in Postgres, with what the inspector found in it. */
export interface StoredUpload {
  id: string;
  size: number;
  inspection: Inspection;
}

/** The upload an import was to read is no longer stored (its import ended, or it was removed). */
export class UploadMissing extends Error {
  constructor() {
    super('the uploaded file is no longer stored; upload it again');
  }
}

/** Bytes of the file per stored chunk: few statements per file, little memory per read. */
export const UPLOAD_CHUNK_BYTES = 1024 * 1024;

/** Chunks of one upload being deflated and inserted at once: each holds a pool connection meanwhile. */
const STORE_WINDOW = 2;

const deflate = promisify(zlib.deflateRaw);
const inflate = promisify(zlib.inflateRaw);
/**
 * Chunks are stored deflated at the fastest level: CSV shrinks to about a
 * third, which is that much less for Postgres to write, log and read back,
 * for little CPU off the event loop (zlib runs on libuv's thread pool).
 */
const DEFLATE = { level: zlib.constants.Z_BEST_SPEED };

/**
 * Where import files wait for a worker: in Postgres, as numbered chunks,
 * so an api and a worker on different machines share them without a
 * shared disk. A file is streamed in and out one chunk at a time, never
 * held whole in memory. Its import deletes it when it ends (`END_IMPORT`);
 * the reconciler removes what no import claimed.
 */
@Injectable()
export class UploadStore {
  constructor(private readonly db: Db) {}

  /**
   * Stores `source` while `CsvInspector` looks at it (encoding, delimiter,
   * header, runaway records), so a broken file can be rejected before the
   * upload is answered. A write that fails part-way leaves nothing behind.
   */
  async write(source: AsyncIterable<Buffer>): Promise<StoredUpload> {
    const { id } = await this.db.one<{ id: string }>(sql.CREATE_UPLOAD);
    const inspector = new CsvInspector();
    let size = 0;
    let seq = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    // Chunks are stored while the next ones arrive, up to STORE_WINDOW at a
    // time: each row commits on its own (its seq says where it goes), so
    // one chunk's commit need not wait for the one before it.
    const storing: Promise<void>[] = [];
    const flush = async () => {
      const chunk = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      const stored = this.storeChunk(id, seq, chunk);
      stored.catch(() => undefined); // awaited when the window is full or at the end
      storing.push(stored);
      seq += 1;
      if (storing.length >= STORE_WINDOW) await storing.shift();
    };
    try {
      for await (const part of source) {
        size += part.length;
        inspector.write(part);
        pending.push(part);
        pendingBytes += part.length;
        if (pendingBytes >= UPLOAD_CHUNK_BYTES) await flush();
      }
      if (pendingBytes > 0) await flush();
      await Promise.all(storing);
      await this.db.execute(sql.COMPLETE_UPLOAD, [id, size, seq]);
    } catch (error) {
      await Promise.allSettled(storing);
      await this.discard(id).catch(() => undefined);
      throw error;
    }
    return { id, size, inspection: inspector.finish() };
  }

  /**
   * The stored file, chunk by chunk, the next chunk read while the caller
   * works on this one. Throws `UploadMissing` when it is not (or no longer)
   * wholly stored.
   */
  async *read(id: string | null): AsyncGenerator<Buffer> {
    const upload = id === null ? undefined : await this.db.maybeOne<{ chunks: number }>(sql.UPLOAD_CHUNKS, [id]);
    if (upload === undefined || id === null) throw new UploadMissing();
    const { chunks } = upload;
    let next = chunks > 0 ? this.chunk(id, 0) : undefined;
    for (let seq = 0; next !== undefined; seq += 1) {
      const current = await next;
      next = seq + 1 < chunks ? this.chunk(id, seq + 1) : undefined;
      yield current;
    }
  }

  async discard(id: string): Promise<void> {
    await this.db.execute(sql.DELETE_UPLOAD, [id]);
  }

  /** Removes uploads that no unfinished import needs, a day after they began. */
  async discardAbandoned(): Promise<number> {
    return this.db.execute(sql.DELETE_ABANDONED_UPLOADS);
  }

  private async storeChunk(id: string, seq: number, chunk: Buffer): Promise<void> {
    await this.db.execute(sql.INSERT_UPLOAD_CHUNK, [id, seq, await deflate(chunk, DEFLATE)]);
  }

  private chunk(id: string, seq: number): Promise<Buffer> {
    const read = this.fetchChunk(id, seq).then(inflate);
    // Read ahead: a reader that stops early never awaits it, and its failure must not go unhandled.
    read.catch(() => undefined);
    return read;
  }

  /**
   * A chunk's stored bytes through binary COPY, as they are. A SELECT would
   * send bytea as hex text, twice the size, for the driver to decode back
   * into bytes on the worker's event loop.
   */
  private async fetchChunk(id: string, seq: number): Promise<Buffer> {
    const copy = sql.uploadChunkCopy(parseId(id), seq);
    const { client, release } = await this.db.pooledClient();
    // A lost connection also emits `error` on the client, which would end the
    // process unheard; the COPY's own failure is what the reader reports.
    const ignore = () => undefined;
    client.on('error', ignore);
    let settled = false;
    try {
      const parts: Buffer[] = [];
      for await (const part of client.query(copyTo(copy))) parts.push(part as Buffer);
      settled = true;
      const data = singleBinaryField(Buffer.concat(parts));
      if (data === undefined) throw new UploadMissing();
      return data;
    } finally {
      // A COPY cut short leaves the connection mid-protocol: it is closed, not given back to the pool.
      if (settled) client.off('error', ignore);
      release(!settled);
    }
  }
}
