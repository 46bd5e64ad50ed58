import { decodeCursor, invalid, notFound, type Page, parseId, toPage } from '@herald/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { enqueueImport, IMPORT_QUEUE } from './import-queue.js';
import type { ImportOptions } from './import-claim.js';
import type { ImportDto, ImportMode, ImportStatus } from './imports.dto.js';
import { type MappingTarget, planColumns, type UnknownColumns } from './mapping.js';
import type { StoredUpload } from './upload-store.js';

/** A new import, as any caller (the HTTP API, a CLI) describes it. */
export interface NewImport {
  /** The file, already in `UploadStore`. */
  upload: StoredUpload;
  /** The name the file had on the uploader's machine; shown back, never used as a path. */
  fileName: string;
  listId?: string;
  /** CSV header → target; other headers of common exports are recognised. */
  mapping?: Record<string, MappingTarget>;
  mode?: ImportMode;
  unknownColumns?: UnknownColumns;
  /** The user who asked for it, if one did. */
  createdBy: string | null;
}

interface ImportRow {
  id: string;
  status: ImportStatus;
  file_name: string;
  size_bytes: number;
  mode: ImportMode;
  list_id: string | null;
  rows_read: number;
  bytes_read: number;
  inserted: number;
  updated: number;
  skipped: number;
  failed: number;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const IMPORT_COLUMNS = `id, status, file_name, size_bytes::float8 AS size_bytes, mode, list_id,
  rows_read::float8 AS rows_read, bytes_read::float8 AS bytes_read, inserted::float8 AS inserted,
  updated::float8 AS updated, skipped::float8 AS skipped, failed::float8 AS failed, error,
  created_at, started_at, finished_at`;

const ERRORS_PAGE = 5000;

/** Spreadsheet apps run a cell that starts with one of these as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;
export const neutraliseCell = (cell: string): string => (FORMULA_START.test(cell) ? `'${cell}` : cell);

/**
 * The upload's own name, shown back as `fileName`. An RFC 5987 `filename*`
 * can smuggle in any character, and Postgres text cannot hold NUL.
 */
function displayName(original: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  return original.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 255) || 'upload.csv';
}

@Injectable()
export class ImportsService {
  private readonly logger = new Logger(ImportsService.name);

  constructor(
    private readonly db: DataSource,
    @InjectQueue(IMPORT_QUEUE) private readonly queue: Queue,
  ) {}

  /**
   * Accepts a stored upload: rejects it unless it is a readable CSV with an
   * email column and a valid mapping, then records the import and queues its
   * job. A rejected upload stays stored; the caller discards it (over HTTP,
   * `UploadErrorsInterceptor` does).
   */
  async create(input: NewImport): Promise<{ id: string }> {
    const { upload } = input;
    const { inspection } = upload;
    if (inspection.problem)
      throw invalid(`The file cannot be imported: ${inspection.problem.reason}`, { file: inspection.problem.reason });
    if (inspection.rows === 0) throw invalid('The file has a header but no data rows', { file: 'no data rows' });
    const columns = planColumns(inspection.header, input.mapping ?? {}, input.unknownColumns ?? 'ignore');
    if (input.listId !== undefined) {
      const list = await this.db.query<unknown[]>('SELECT 1 FROM lists WHERE id = $1', [input.listId]);
      if (list.length === 0) throw invalid(`List ${input.listId} does not exist`, { listId: 'no list with this id' });
    }
    const options: ImportOptions = {
      encoding: inspection.encoding,
      delimiter: inspection.delimiter,
      columns,
      totalRows: inspection.rows,
    };
    const rows = await this.db.query<{ id: string }[]>(
      `INSERT INTO imports (file_name, upload_id, size_bytes, list_id, mode, options, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [
        displayName(input.fileName),
        upload.id,
        upload.size,
        input.listId ?? null,
        input.mode ?? 'upsert',
        JSON.stringify(options),
        input.createdBy,
      ],
    );
    const id = rows[0].id;
    try {
      await enqueueImport(this.queue, id);
    } catch (error) {
      // Without a job the import would wait for the next worker start; say so now instead.
      await this.db.query(`UPDATE imports SET status = 'failed', error = $2, finished_at = now() WHERE id = $1`, [
        id,
        'the job queue is unavailable',
      ]);
      throw error;
    }
    this.logger.log({ importId: id, rows: inspection.rows, bytes: upload.size }, 'import.queued');
    return { id };
  }

  async get(id: string): Promise<ImportDto> {
    const rows = await this.db.query<ImportRow[]>(`SELECT ${IMPORT_COLUMNS} FROM imports WHERE id = $1`, [parseId(id)]);
    if (rows.length === 0) throw notFound('Import', id);
    return toView(rows[0]);
  }

  /** Newest first. */
  async list(limit: number, cursor: string | undefined): Promise<Page<ImportDto>> {
    const before = decodeCursor(cursor);
    const rows = await this.db.query<ImportRow[]>(
      `SELECT ${IMPORT_COLUMNS} FROM imports WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2`,
      [before ?? null, limit + 1],
    );
    return toPage(rows, limit, toView);
  }

  /**
   * The rejected rows as CSV records `row,email,reason`, read in keyset pages
   * so memory stays flat however many rows failed. Cells a spreadsheet would
   * run as formulas get a leading quote.
   */
  async *errorRecords(id: string): AsyncGenerator<string[]> {
    await this.get(id);
    yield ['row', 'email', 'reason'];
    let after = 0;
    for (;;) {
      const rows = await this.db.query<{ row_number: string; email: string | null; reason: string }[]>(
        `SELECT row_number, email, reason FROM import_errors
         WHERE import_id = $1 AND row_number > $2 ORDER BY row_number LIMIT $3`,
        [id, after, ERRORS_PAGE],
      );
      for (const r of rows) yield [r.row_number, neutraliseCell(r.email ?? ''), neutraliseCell(r.reason)];
      if (rows.length < ERRORS_PAGE) return;
      after = Number(rows[rows.length - 1].row_number);
    }
  }
}

function toView(r: ImportRow): ImportDto {
  // Bytes are counted as read, ahead of the merge: only `done` shows 1.
  const progress =
    r.status === 'done'
      ? 1
      : r.size_bytes > 0
        ? Math.min(0.999, Math.round((r.bytes_read / r.size_bytes) * 1000) / 1000)
        : 0;
  return {
    id: r.id,
    status: r.status,
    fileName: r.file_name,
    sizeBytes: r.size_bytes,
    mode: r.mode,
    listId: r.list_id,
    rowsRead: r.rows_read,
    inserted: r.inserted,
    updated: r.updated,
    skipped: r.skipped,
    failed: r.failed,
    progress,
    error: r.error,
    createdAt: r.created_at.toISOString(),
    startedAt: r.started_at?.toISOString() ?? null,
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}
