import { RequestMethod } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Params } from 'nestjs-pino';
import type { DestinationStream, Logger } from 'pino';
import type { Options } from 'pino-http';
import type { HeraldConfig } from './config.js';

/**
 * What of an error may reach the log. Everything else an error object carries
 * is left out on purpose: TypeORM's `query` and `parameters`, pg's `detail`
 * ("Key (email)=(jane@example.com) already exists") and `where` hold the
 * values of the failing statement, that is addresses, names and key hashes.
 */
const SAFE_ERROR_FIELDS = [
  'code',
  'constraint',
  'table',
  'column',
  'dataType',
  'routine',
  'errno',
  'syscall',
  'address',
  'port',
] as const;

const isErrorLike = (value: unknown): value is Error =>
  typeof value === 'object' && value !== null && typeof (value as Error).message === 'string';

/** An error raised by Postgres, alone (pg) or wrapped (TypeORM's QueryFailedError). */
const isDatabaseError = (error: Error): boolean =>
  'driverError' in error || ('severity' in error && 'routine' in error) || 'parameters' in error;

/**
 * Postgres quotes the offending value in its messages (`invalid input syntax
 * for type uuid: "jane@example.com"`); the quoted parts go, the wording stays.
 */
const redactQuoted = (message: string): string => message.replace(/"[^"]*"/g, '"…"');

export interface LoggedError {
  type: string;
  message: string;
  stack?: string;
  cause?: LoggedError;
  [field: string]: unknown;
}

/**
 * The pino `err` serializer of every Herald process: type, message, stack and
 * a few diagnostic fields, never the parameters or values of a failed query.
 * Accepts a raw error or one pino's standard serializer already copied (it
 * keeps the original as `raw`).
 */
export function serializeError(input: unknown, depth = 0): unknown {
  const raw = isErrorLike(input) ? (input as { raw?: unknown }).raw : undefined;
  const error = isErrorLike(raw) ? raw : input;
  if (!isErrorLike(error)) return input;
  const type = error.constructor?.name ?? error.name;
  const message = isDatabaseError(error) ? redactQuoted(error.message) : error.message;
  const logged: LoggedError = { type, message };
  for (const field of SAFE_ERROR_FIELDS) {
    const value = (error as unknown as Record<string, unknown>)[field];
    if (typeof value === 'string' || typeof value === 'number') logged[field] = value;
  }
  if (typeof error.stack === 'string') {
    const frames = error.stack.indexOf('\n    at ');
    logged.stack = `${type}: ${message}${frames >= 0 ? error.stack.slice(frames) : ''}`;
  }
  if (depth < 3 && isErrorLike(error.cause)) logged.cause = serializeError(error.cause, depth + 1) as LoggedError;
  return logged;
}

/**
 * Keys whose values never reach the log, wherever a logged object carries
 * them (at the top or one level down): request bodies are not logged, but a
 * line that logs an input object must not leak a password or a private key.
 */
export const REDACTED_LOG_KEYS = ['password', 'dkimPrivateKey', 'privateKey', 'pass'];
const REDACT_PATHS = REDACTED_LOG_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

interface RoutedRequest extends IncomingMessage {
  route?: { path?: unknown };
}

/** The route pattern (`/api/v1/contacts/:id`): never the raw URL, whose query may hold addresses. */
function routeOf(req: RoutedRequest): string {
  const path = req.route?.path;
  return typeof path === 'string' ? path : '(no route)';
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** A caller's own `X-Request-Id` when it is a plain token, so that logs can be joined across services. */
function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

function accessLine(req: RoutedRequest, res: ServerResponse, durationMs: number) {
  return { method: req.method, route: routeOf(req), status: res.statusCode, durationMs };
}

/**
 * pino-http is mounted with the routes, behind the body parsers and the input
 * check, so a request they refuse (malformed or hostile JSON, a body too
 * large) never reaches it. Mounted before them, this gives such a request its
 * id and the same access line (its route unknown).
 */
export function logRequestsRefusedEarly(root: () => Logger | undefined) {
  return (req: RoutedRequest & { id?: unknown; log?: unknown }, res: ServerResponse, next: () => void): void => {
    const start = Date.now();
    req.id = requestId(req, res);
    res.on('finish', () => {
      if (req.log !== undefined) return;
      const line = { reqId: req.id, ...accessLine(req, res, Date.now() - start) };
      root()?.[res.statusCode >= 500 ? 'error' : 'info'](line, `${req.method} ${routeOf(req)} ${res.statusCode}`);
    });
    next();
  };
}

/**
 * pino and pino-http as every Herald process uses them. One line per request
 * at info (error for a 5xx): `reqId`, `method`, `route`, `status`,
 * `durationMs` and nothing else: no headers, no query strings, no bodies.
 * Readable lines (pino-pretty) when stdout is a terminal, JSON otherwise.
 * `destination` replaces stdout (tests capture the log with it).
 */
export function loggerParams(
  config: Pick<HeraldConfig, 'LOG_LEVEL'>,
  options: { destination?: DestinationStream; tty?: boolean } = {},
): Params {
  const tty = options.tty ?? process.stdout.isTTY === true;
  const http: Options<RoutedRequest, ServerResponse> = {
    level: config.LOG_LEVEL,
    serializers: { err: serializeError },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    genReqId: requestId,
    // Lines logged while serving a request carry its id, not the request itself.
    quietReqLogger: true,
    quietResLogger: true,
    autoLogging: { ignore: (req) => req.url?.split('?')[0] === '/health' },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessObject: (req, res, value) => accessLine(req, res, (value as { responseTime: number }).responseTime),
    customErrorObject: (req, res, _error, value) =>
      accessLine(req, res, (value as { responseTime: number }).responseTime),
    customSuccessMessage: (req, res) => `${req.method} ${routeOf(req)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${routeOf(req)} ${res.statusCode}`,
    ...(tty && !options.destination
      ? {
          transport: {
            target: 'pino-pretty',
            // One line per entry, as in JSON, so that a busy terminal stays scannable.
            options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true },
          },
        }
      : {}),
  };
  return {
    pinoHttp: options.destination ? [http, options.destination] : http,
    // Every route, once. nestjs-pino's default adds the paths excluded from the
    // global prefix (/t, /u, /w, /metrics) on top of the catch-all, which Nest
    // already mounts for them too: each of their requests was logged twice.
    forRoutes: [{ path: '{/*splat}', method: RequestMethod.ALL }],
  } as Params;
}
