/**
 * Domain errors thrown by libs. They know nothing of HTTP; the api's global
 * filter maps each `kind` to a status. `fields` names the input at fault.
 */
export type ErrorKind =
  | 'invalid'
  | 'not_found'
  | 'conflict'
  | 'unauthorized'
  | 'forbidden'
  | 'too_large'
  | 'unprocessable'
  | 'rate_limited'
  | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly fields?: Record<string, string>,
    /** For `rate_limited`: when the caller may try again, sent as `Retry-After`. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalid = (message: string, fields?: Record<string, string>) =>
  new DomainError('invalid', message, fields);
export const notFound = (what: string, id: string) => new DomainError('not_found', `${what} ${id} does not exist`);
export const conflict = (message: string, fields?: Record<string, string>) =>
  new DomainError('conflict', message, fields);
export const unprocessable = (message: string, fields?: Record<string, string>) =>
  new DomainError('unprocessable', message, fields);
export const rateLimited = (message: string, retryAfterSeconds: number) =>
  new DomainError('rate_limited', message, undefined, retryAfterSeconds);
