import {
  Db,
  DomainError,
  HERALD_CONFIG,
  type HeraldConfig,
  invalid,
  type PooledClient,
  unprocessable,
} from '@herald/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { to as copyTo } from 'pg-copy-streams';
import type { ContactFilter } from '../contact-filter.js';
import { FieldsService } from '../fields/fields.service.js';
import { ListsService } from '../lists/lists.service.js';
import { CREATE_EXPORT_IDS, exportQuery, fillExportIds } from './export.sql.js';
import { SegmentFilters } from './segment-filters.js';

/**
 * Exports hold a pool connection for as long as the download lasts; this
 * many at once per process leaves the rest of the pool to the API.
 */
export const MAX_CONCURRENT_EXPORTS = 3;

/** Which contacts to export: all, a list's members, a segment's matches, or both intersected. */
export interface ExportRequest {
  listId?: string;
  segmentId?: string;
}

export interface CsvExport {
  stream: Readable;
  filename: string;
}

/** Resolves once `stream` has data (or has ended), rejects if it fails first. */
function firstChunk(stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      stream.off('readable', onReadable);
      stream.off('error', onError);
      if (error) reject(error);
      else resolve();
    };
    const onReadable = () => settle();
    const onError = (error: Error) => settle(error);
    stream.once('readable', onReadable);
    stream.once('error', onError);
  });
}

/**
 * Streams contacts as CSV straight from Postgres (`COPY ... TO STDOUT`), so
 * memory stays flat whatever the size: rows flow at the pace the client
 * reads them. The connection is released when the stream ends and destroyed
 * if it is cut short, so a client that hangs up mid-export leaks nothing.
 */
@Injectable()
export class ExportService {
  private readonly logger = new Logger(ExportService.name);
  private running = 0;

  constructor(
    private readonly db: Db,
    private readonly fields: FieldsService,
    private readonly lists: ListsService,
    private readonly segmentFilters: SegmentFilters,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  async open(request: ExportRequest): Promise<CsvExport> {
    const { listId, segmentId } = request;
    const segments = this.segmentFilters.current;
    if (segmentId !== undefined && segments === undefined) {
      throw invalid('segmentId: segments are not available', { segmentId: 'segments are not available' });
    }
    if (listId !== undefined) await this.lists.requireExists(this.db, listId);
    // Resolved before taking a connection: an unknown segment is a 404, not a held client.
    const segment: ContactFilter | undefined =
      segmentId === undefined ? undefined : await segments?.contactFilter(segmentId, 1);
    const fields = [...(await this.fields.definitions())];
    const sql = exportQuery(fields, { listId, idsTable: segment !== undefined });

    if (this.running >= MAX_CONCURRENT_EXPORTS) {
      throw new DomainError('rate_limited', `At most ${MAX_CONCURRENT_EXPORTS} exports run at once; retry shortly`);
    }
    this.running += 1;
    let pooled: PooledClient | undefined;
    try {
      pooled = await this.db.pooledClient();
      const { client } = pooled;
      if (segment !== undefined) {
        // COPY takes no parameters: the segment's ids go to a temp table
        // first, with the filter's values bound as usual.
        await client.query('BEGIN');
        await client.query(CREATE_EXPORT_IDS);
        // Selecting the segment obeys the segment timeout like a count; the COPY after it may take as long as the download.
        await client.query(`SELECT set_config('statement_timeout', $1, true)`, [
          String(this.config.HERALD_SEGMENT_TIMEOUT_MS),
        ]);
        await client.query(fillExportIds(segment.sql), segment.params);
        await client.query(`SELECT set_config('statement_timeout', '0', true)`);
      }
    } catch (error) {
      this.running -= 1;
      pooled?.release(true);
      if ((error as { code?: unknown }).code === '57014') {
        throw unprocessable(
          `Selecting this segment's contacts took longer than ${this.config.HERALD_SEGMENT_TIMEOUT_MS} ms and was stopped; narrow the rules`,
        );
      }
      throw error;
    }
    const stream = pooled.client.query(copyTo(sql));
    this.watch(stream, pooled, segment !== undefined);
    // COPY always sends the header line first, so waiting for it turns a
    // failing query into an ordinary error response instead of a cut one.
    await firstChunk(stream);
    return { stream, filename: this.filename(listId, segmentId) };
  }

  /** Returns the connection exactly once: to the pool after a full read, destroyed otherwise. */
  private watch(stream: Readable, { client, release }: PooledClient, inTransaction: boolean): void {
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      this.running -= 1;
      if (error !== undefined) {
        // Mid-COPY the connection's protocol state is unknown: close it
        // rather than hand it to the next query.
        release(true);
        if (!/premature close|aborted/i.test(error.message)) this.logger.warn({ err: error }, 'contact export failed');
        return;
      }
      if (!inTransaction) {
        release();
        return;
      }
      // Ends the transaction, which drops the temp table.
      client.query('ROLLBACK').then(
        () => release(),
        () => release(true),
      );
    };
    stream.once('end', () => finish());
    stream.once('error', (error: Error) => finish(error));
    stream.once('close', () => finish(new Error('export aborted before the end')));
  }

  private filename(listId?: string, segmentId?: string): string {
    const date = new Date().toISOString().slice(0, 10);
    const scope = [listId && `list-${listId}`, segmentId && `segment-${segmentId}`].filter(Boolean).join('-');
    return `contacts${scope ? `-${scope}` : ''}-${date}.csv`;
  }
}
