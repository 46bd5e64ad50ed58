import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { randomUUID } from 'node:crypto';
import { asDependencyError, RETRY_AFTER_SECONDS } from '../dependencies.js';
import { DomainError, type ErrorKind } from '../errors.js';

const STATUS: Record<ErrorKind, number> = {
  invalid: HttpStatus.BAD_REQUEST,
  unauthorized: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  too_large: HttpStatus.PAYLOAD_TOO_LARGE,
  unprocessable: HttpStatus.UNPROCESSABLE_ENTITY,
  rate_limited: HttpStatus.TOO_MANY_REQUESTS,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  fields?: Record<string, string>;
  errorId?: string;
}

function reasonPhrase(status: number): string {
  const name = HttpStatus[status] as string | undefined;
  return name
    ? name.toLowerCase().replace(/(^|_)(\w)/g, (_m, sep: string, c: string) => (sep ? ' ' : '') + c.toUpperCase())
    : 'Error';
}

/** Errors raised by Express middleware (body parser, multer) carry a status. */
function middlewareStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { status?: unknown; statusCode?: unknown; code?: unknown };
  if (e.code === 'LIMIT_FILE_SIZE') return HttpStatus.PAYLOAD_TOO_LARGE;
  if (typeof e.code === 'string' && e.code.startsWith('LIMIT_')) return HttpStatus.BAD_REQUEST;
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  return status !== undefined && status >= 400 && status < 500 ? status : undefined;
}

export function toErrorBody(thrown: unknown, logger: Logger): ErrorBody {
  // A database or Redis outage is a 503 wherever it surfaces, not a 500.
  const exception = asDependencyError(thrown) ?? thrown;
  if (exception instanceof DomainError) {
    const statusCode = STATUS[exception.kind];
    return { statusCode, error: reasonPhrase(statusCode), message: exception.message, fields: exception.fields };
  }
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    const response = exception.getResponse();
    if (typeof response === 'object' && response !== null && 'message' in response) {
      const r = response as { message: unknown; fields?: Record<string, string> };
      const message = Array.isArray(r.message) ? r.message.join('; ') : String(r.message);
      return { statusCode, error: reasonPhrase(statusCode), message, fields: r.fields };
    }
    return { statusCode, error: reasonPhrase(statusCode), message: String(response) };
  }
  const status = middlewareStatus(exception);
  if (status !== undefined) {
    const e = exception as { type?: string; message?: string; field?: string };
    const message =
      e.type === 'entity.parse.failed' ? 'The request body is not valid JSON' : (e.message ?? reasonPhrase(status));
    return {
      statusCode: status,
      error: reasonPhrase(status),
      message,
      fields: e.field ? { [e.field]: message } : undefined,
    };
  }
  const errorId = randomUUID();
  // The `err` serializer (logging.ts) keeps the type, code and frames, never a query's parameters.
  logger.error({ err: exception, errorId }, 'unhandled error');
  return {
    statusCode: 500,
    error: 'Internal Server Error',
    message: `Something went wrong on our side; quote error id ${errorId} when reporting it`,
    errorId,
  };
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const body = toErrorBody(exception, this.logger);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (exception instanceof DomainError && exception.retryAfterSeconds !== undefined) {
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(exception.retryAfterSeconds))));
    } else if (body.statusCode === 503) {
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    }
    res.status(body.statusCode).json(body);
  }
}
