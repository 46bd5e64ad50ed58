import { DomainError, HERALD_CONFIG, type HeraldConfig } from '@herald/common';
import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
  PayloadTooLargeException,
} from '@nestjs/common';
import type { Request } from 'express';
import { catchError, from, mergeMap, type Observable, throwError } from 'rxjs';
import type { UploadedCsv } from './upload-storage.js';
import { UploadStore } from './upload-store.js';

/**
 * Wraps the upload route, and is the one place a rejected upload is
 * discarded: when anything after the upload fails (validation of the other
 * form fields, the service's checks, queueing) the stored file is removed
 * before the error is answered, so a rejected upload leaves nothing behind.
 * Also turns multer's bare "File too large" into a 413 naming `file`.
 */
@Injectable()
export class UploadErrorsInterceptor implements NestInterceptor {
  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly uploads: UploadStore,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request>();
    const stored = () => (req.file as Partial<UploadedCsv> | undefined)?.upload;
    return next
      .handle()
      .pipe(
        catchError((error: unknown) =>
          from(this.discard(stored()?.id)).pipe(mergeMap(() => throwError(() => this.describe(error)))),
        ),
      );
  }

  private async discard(uploadId: string | undefined): Promise<void> {
    // The error being answered matters more than a failed clean-up; the reconciler sweeps what is left.
    if (uploadId !== undefined) await this.uploads.discard(uploadId).catch(() => undefined);
  }

  private describe(error: unknown): unknown {
    if (!(error instanceof PayloadTooLargeException)) return error;
    const limit = this.config.HERALD_IMPORT_MAX_BYTES;
    return new DomainError('too_large', `The file is larger than the ${limit} bytes an import accepts`, {
      file: `larger than ${limit} bytes (HERALD_IMPORT_MAX_BYTES)`,
    });
  }
}
