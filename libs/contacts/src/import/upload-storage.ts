import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import type { StoredUpload, UploadStore } from './upload-store.js';

/** An upload as multer hands it to the controller: kept in Postgres, with what the inspector found. */
export interface UploadedCsv extends Express.Multer.File {
  upload: StoredUpload;
}

/**
 * A multer storage engine that streams the `file` part into `UploadStore`
 * (Postgres) while it is inspected, so a broken file is rejected before the
 * API answers 202 and no api keeps a file on its own disk.
 */
export class PostgresCsvStorage implements StorageEngine {
  constructor(private readonly store: UploadStore) {}

  _handleFile(
    _req: Request,
    file: Express.Multer.File,
    callback: (error?: Error | null, info?: Partial<UploadedCsv>) => void,
  ): void {
    this.store.write(file.stream).then(
      (upload) => callback(null, { upload, size: upload.size }),
      (error: Error) => callback(error),
    );
  }

  /** multer's own clean-up, when the request fails after the file part was stored. */
  _removeFile(_req: Request, file: Express.Multer.File, callback: (error: Error | null) => void): void {
    const { upload } = file as Partial<UploadedCsv>;
    (upload ? this.store.discard(upload.id) : Promise.resolve()).then(
      () => callback(null),
      (error: Error) => callback(error),
    );
  }
}
