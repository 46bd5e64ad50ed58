import { DomainError } from './errors.js';

/** The services a Herald process cannot work without. */
export type Dependency = 'database' | 'redis';

const LABEL: Record<Dependency, string> = { database: 'The database', redis: 'Redis' };

/** Seconds a client is told to wait before retrying, in `Retry-After`. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * A request could not be served because Postgres or Redis did not answer in
 * time (down, restarting, or every pooled connection busy). Answered 503 with
 * `Retry-After`: the request was fine and will work once the service is back.
 */
export class DependencyUnavailableError extends DomainError {
  constructor(
    readonly dependency: Dependency,
    readonly reason: string,
  ) {
    super('unavailable', `${LABEL[dependency]} is unavailable right now (${reason}); retry shortly`);
  }
}

// Socket errors: the peer refused, reset or never answered.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// SQLSTATE: connection exceptions (class 08), admin shutdown / crash / starting up (57P01-57P03), too many connections.
const PG_UNAVAILABLE = /^(08...|57P0[1-3]|53300)$/;

const PG_MESSAGES = [
  /^Connection terminated/, // the server closed or the connect timed out
  /^timeout exceeded when trying to connect$/, // the pool had no free connection in time
  /^Client has encountered a connection error and is not queryable$/,
];

const REDIS_MESSAGES = [
  /^Reached the max retries per request limit/,
  /^Connection is closed\.$/,
  /^Stream isn't writeable and enableOfflineQueue options is false$/,
  /^Command timed out$/,
];

interface ErrorShape {
  message?: unknown;
  code?: unknown;
  name?: unknown;
  driverError?: unknown;
  errors?: unknown;
}

const shape = (error: unknown): ErrorShape => (typeof error === 'object' && error !== null ? error : {});

function reasonOf(e: ErrorShape): string {
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return 'connection refused or lost';
  const message = typeof e.message === 'string' ? e.message : '';
  if (/timeout exceeded when trying to connect/.test(message)) return 'no free connection in time';
  if (/timed out|timeout/i.test(message)) return 'timed out';
  return 'connection lost';
}

/**
 * The one place that recognises "a dependency is down" among the errors the
 * drivers throw (pg, TypeORM, ioredis, BullMQ). Returns the error to answer
 * with, or undefined for any other error.
 */
export function asDependencyError(error: unknown): DependencyUnavailableError | undefined {
  if (error instanceof DependencyUnavailableError) return error;
  const e = shape(error);
  // TypeORM wraps driver errors; Node wraps "connect to every address failed" in an AggregateError.
  if (e.driverError !== undefined) return asDependencyError(e.driverError);
  if (Array.isArray(e.errors) && e.errors.length > 0 && e.code === undefined) return asDependencyError(e.errors[0]);
  const message = typeof e.message === 'string' ? e.message : '';
  if (e.name === 'MaxRetriesPerRequestError' || REDIS_MESSAGES.some((re) => re.test(message))) {
    return new DependencyUnavailableError('redis', reasonOf(e));
  }
  if (typeof e.code === 'string' && PG_UNAVAILABLE.test(e.code)) {
    return new DependencyUnavailableError('database', 'connection lost');
  }
  if (PG_MESSAGES.some((re) => re.test(message))) return new DependencyUnavailableError('database', reasonOf(e));
  // A bare socket error: ioredis never rejects a command with one, pg and TypeORM do.
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) {
    return new DependencyUnavailableError('database', reasonOf(e));
  }
  return undefined;
}

/**
 * Rejects with `DependencyUnavailableError` when `work` has not settled within
 * `ms`, so a call to a dependency that hangs ends in a prompt 503. The work
 * itself is not cancelled; its late result is ignored.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, dependency: Dependency): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DependencyUnavailableError(dependency, `no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
