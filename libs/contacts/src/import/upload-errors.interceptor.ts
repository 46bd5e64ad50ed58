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
import { rm } from 'node:fs/promises';
import { catchError, from, mergeMap, type Observable, throwError } from 'rxjs';

/**
 * Wraps the upload route: when anything after the upload fails (validation
 * of the other form fields, the service's checks) the stored file is removed
 * before the error is answered, so a rejected upload leaves nothing on disk.
 * Also turns multer's bare "File too large" into a 413 naming `file`.
 */
@Injectable()
export class UploadErrorsInterceptor implements NestInterceptor {
  constructor(@Inject(HERALD_CONFIG) private readonly config: HeraldConfig) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request>();
    return next
      .handle()
      .pipe(
        catchError((error: unknown) =>
          from(req.file?.path ? rm(req.file.path, { force: true }) : Promise.resolve()).pipe(
            mergeMap(() => throwError(() => this.describe(error))),
          ),
        ),
      );
  }

  private describe(error: unknown): unknown {
    if (!(error instanceof PayloadTooLargeException)) return error;
    const limit = this.config.HERALD_IMPORT_MAX_BYTES;
    return new DomainError('too_large', `The file is larger than the ${limit} bytes an import accepts`, {
      file: `larger than ${limit} bytes (HERALD_IMPORT_MAX_BYTES)`,
    });
  }
}
