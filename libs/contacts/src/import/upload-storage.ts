import type { Request } from 'express';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { StorageEngine } from 'multer';
import { CsvInspector, type Inspection } from './csv-format.js';

/** A stored upload as the controller receives it, with what the inspector found. */
export interface UploadedCsv extends Express.Multer.File {
  inspection: Inspection;
}

/**
 * A multer storage engine that streams the upload to
 * `<HERALD_DATA_DIR>/uploads/<random>.csv` and inspects it on the way
 * (encoding, delimiter, header, runaway records), so a broken file is
 * rejected before the API answers 202 without ever holding it in memory.
 * multer removes the partial file itself when `limits.fileSize` is hit.
 */
export class InspectingCsvStorage implements StorageEngine {
  constructor(private readonly dir: string) {}

  _handleFile(
    _req: Request,
    file: Express.Multer.File,
    callback: (error?: Error | null, info?: Partial<UploadedCsv>) => void,
  ): void {
    this.store(file).then(
      (info) => callback(null, info),
      (error: Error) => callback(error),
    );
  }

  _removeFile(_req: Request, file: Express.Multer.File, callback: (error: Error | null) => void): void {
    rm(file.path, { force: true }).then(
      () => callback(null),
      (error: Error) => callback(error),
    );
  }

  private async store(file: Express.Multer.File): Promise<Partial<UploadedCsv>> {
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, `${Date.now()}-${randomBytes(8).toString('hex')}.csv`);
    const inspector = new CsvInspector();
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
        size += chunk.length;
        inspector.write(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(file.stream, tap, createWriteStream(path, { flags: 'wx' }));
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
    return { path, size, filename: path.slice(this.dir.length + 1), inspection: inspector.finish() };
  }
}
