import { z } from 'zod';

/**
 * Every environment variable Herald reads, with its default and a one-line
 * description. Parsed once at start; a bad value stops the process with a
 * message naming the variable. `secret` values are never logged or returned.
 */
interface VariableSpec {
  schema: z.ZodType;
  description: string;
  secret?: boolean;
}

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
/** An IPv4 address or a bracketed IPv6 address, with an optional port: what `dns.Resolver.setServers` takes. */
const DNS_SERVER =
  /^(?:\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?|\[[0-9A-Fa-f:.]+\](?::\d{1,5})?|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+)$/;
// Connection URLs are checked here, not first parsed by a driver: a driver's
// "Invalid URL" error carries the whole input, password included, into the log.
const url = (protocol: RegExp, example: string) => z.url({ protocol, error: `expected a URL such as ${example}` });

export const CONFIG_VARIABLES = {
  NODE_ENV: {
    schema: z.enum(['development', 'production', 'test']).default('development'),
    description: 'Runtime mode (development, production or test).',
  },
  HOST: { schema: z.string().default('0.0.0.0'), description: 'Interface the HTTP server listens on.' },
  PORT: { schema: port.default(3000), description: 'HTTP port of the API, tracking endpoints and dashboard.' },
  PUBLIC_URL: {
    schema: url(/^https?$/, 'https://mail.example.com').default('http://localhost:3000'),
    description:
      'Base URL recipients and browsers reach Herald at (links in emails); https makes session cookies Secure.',
  },
  DATABASE_URL: {
    schema: url(/^postgres(ql)?$/, 'postgres://user:password@host:5432/herald').default(
      'postgres://postgres@127.0.0.1:5432/herald',
    ),
    description: 'PostgreSQL connection URL; the database is created if missing.',
    secret: true,
  },
  REDIS_URL: {
    schema: url(/^rediss?$/, 'redis://host:6379').default('redis://127.0.0.1:6379'),
    description: 'Redis connection URL (queues, rate limits).',
    secret: true,
  },
  HERALD_QUEUE_PREFIX: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default('herald'),
    description:
      'Names this installation in Redis: its queues and every other key (login throttle, worker heartbeats) start with it, to share a Redis between installs.',
  },
  HERALD_DB_POOL_SIZE: {
    schema: positiveInt.default(10),
    description: 'Database connections each process keeps in its pool (imports hold their own besides).',
  },
  HERALD_DB_ACQUIRE_TIMEOUT_MS: {
    schema: positiveInt.default(5_000),
    description: 'Longest a request waits for a free database connection before it is answered 503.',
  },
  HERALD_MIGRATE_ON_START: {
    schema: bool.default(true),
    description: 'Run database migrations at start; set to false to run them yourself (`npm run migration:run`).',
  },
  HERALD_SECRET: {
    schema: z.string().min(32).optional(),
    description: 'Key for signed tokens; when unset one is generated once and kept in the database.',
    secret: true,
  },
  HERALD_ADMIN_EMAIL: {
    schema: z.email().optional(),
    description: 'Email of the first admin, created at start when no user exists.',
  },
  HERALD_ADMIN_PASSWORD: {
    schema: z.string().min(10).optional(),
    description: 'Password of the first admin; when unset a random one is printed once.',
    secret: true,
  },
  HERALD_SESSION_TTL_HOURS: {
    schema: positiveInt.default(168),
    description: 'How long a dashboard session lasts.',
  },
  HERALD_LOGIN_MAX_FAILURES: {
    schema: positiveInt.default(10),
    description:
      'Failed logins allowed per email from one client within 15 minutes before 429; a client gets 5 times as many across all emails.',
  },
  HERALD_IMPORT_MAX_BYTES: {
    schema: positiveInt.default(1024 * 1024 * 1024),
    description: 'Largest CSV upload accepted (bytes); larger uploads get 413.',
  },
  HERALD_IMPORT_BATCH_ROWS: {
    schema: positiveInt.default(50_000),
    description: 'Rows per COPY batch of one import lane.',
  },
  HERALD_IMPORT_BATCH_BYTES: {
    schema: positiveInt.default(16 * 1024 * 1024),
    description: 'Bytes of staged rows per COPY batch of one import lane; wide rows reach it before the row count.',
  },
  HERALD_IMPORT_LANES: {
    schema: positiveInt.max(8).default(2),
    description: 'Database connections one import merges through at once; rows are spread across them by email.',
  },
  HERALD_RECONCILE_SECONDS: {
    schema: positiveInt.default(30),
    description: 'How often workers give unfinished background work whose worker died back to the queue.',
  },
  HERALD_SCHEDULER_TICK_MS: {
    schema: positiveInt.default(2_000),
    description:
      'How often each worker claims due campaigns and reconciles sending ones (missing jobs, stale claims, finished campaigns).',
  },
  HERALD_SEND_GRACE_MINUTES: {
    // At least a minute: a tick finds a campaign a moment after its time, and that is not late.
    schema: positiveInt.default(60),
    description:
      'A scheduled campaign found later than this past its time (Herald was down) waits for confirmation instead of sending late.',
  },
  HERALD_DELIVER_SLOTS: {
    schema: positiveInt.max(32).default(2),
    description: 'Delivery jobs that work on one sending campaign at once, across all workers.',
  },
  HERALD_SEND_LEASE_SECONDS: {
    schema: positiveInt.default(120),
    description:
      'A message claimed for sending longer than this belongs to a dead worker and is queued again (counted as reclaimed).',
  },
  HERALD_DEFER_MAX_AGE_HOURS: {
    schema: positiveInt.default(24),
    description:
      'A message still deferred (4xx replies, connection errors) this long after it was queued fails as a soft bounce.',
  },
  HERALD_BOUNCE_GUARD_PERCENT: {
    schema: z.coerce.number().min(0).max(100).default(5),
    description:
      'A campaign pauses itself when more than this share of its recent messages (the last 1,000 a worker sent, once at least HERALD_BOUNCE_GUARD_MIN_SENDS) bounced hard, or of its messages since it started or was last resumed, counting bounce reports that came back by mail; 100 turns the guard off.',
  },
  HERALD_BOUNCE_GUARD_MIN_SENDS: {
    schema: positiveInt.default(200),
    description:
      'Messages a worker must have sent for a campaign (the campaign in all, for its report figures) before the bounce and complaint guards judge it.',
  },
  HERALD_COMPLAINT_GUARD_PERCENT: {
    schema: z.coerce.number().min(0).max(100).default(0.3),
    description:
      'A campaign pauses itself when spam complaints pass this share of its delivered messages since it started or was last resumed (after HERALD_BOUNCE_GUARD_MIN_SENDS); 100 turns the guard off.',
  },
  HERALD_SEGMENT_TIMEOUT_MS: {
    schema: positiveInt.default(10_000),
    description: 'Longest a segment count or preview may run before it is cancelled (milliseconds).',
  },
  HERALD_EXPORT_IDLE_TIMEOUT_MS: {
    schema: positiveInt.default(30_000),
    description: 'A CSV export whose client reads nothing for this long is cut and its connection released.',
  },
  HERALD_METRICS_CACHE_SECONDS: {
    schema: z.coerce.number().int().min(0).default(30),
    description: 'How long the database counts of `GET /metrics` are reused between scrapes (0: every scrape).',
  },
  HERALD_METRICS_TOKEN: {
    schema: z.string().min(16).optional(),
    description: 'When set, `GET /metrics` requires `Authorization: Bearer <token>`; unset, it is open like `/health`.',
    secret: true,
  },
  HERALD_SANDBOX_ENABLED: {
    schema: bool.default(true),
    description:
      'Run the sandbox inbox (an SMTP server that keeps mail in Herald instead of sending it) in api processes.',
  },
  HERALD_SANDBOX_SMTP_PORT: {
    schema: port.default(1025),
    description: 'Port of the sandbox inbox; 0 picks a free port (the sandbox sender then uses it in that process).',
  },
  HERALD_SANDBOX_SMTP_HOST: {
    schema: z.string().min(1).default('127.0.0.1'),
    description: 'Host the sandbox sender connects to, from workers and api processes alike.',
  },
  HERALD_SANDBOX_SMTP_BIND: {
    schema: z.string().min(1).default('127.0.0.1'),
    description: 'Interface the sandbox inbox listens on; keep it on loopback, it takes mail without authentication.',
  },
  HERALD_SANDBOX_MAX_MESSAGES: {
    schema: positiveInt.default(10_000),
    description: 'Messages the sandbox inbox keeps; the oldest go first.',
  },
  HERALD_SMTP_VERIFY_TIMEOUT_MS: {
    schema: positiveInt.default(10_000),
    description: 'Longest a sender check (`POST /senders/:id/verify`) waits for each step of the SMTP conversation.',
  },
  HERALD_DNS_SERVERS: {
    schema: z
      .string()
      .refine((v) => v.split(',').every((s) => s.trim() === '' || DNS_SERVER.test(s.trim())), {
        error: 'expected IP addresses with optional ports, such as 127.0.0.1:5353,[::1]:53',
      })
      .optional(),
    description:
      'DNS servers the sender DNS check asks, comma-separated IP[:port] ([IPv6]:port); empty: the system resolver.',
  },
  HERALD_DNS_TIMEOUT_MS: {
    schema: positiveInt.default(3_000),
    description: 'Longest the sender DNS check waits for one lookup before it reports the resolver as not answering.',
  },
  HERALD_RELAY_LISTEN: {
    schema: z
      .string()
      .regex(
        /^\d{1,5}:(starttls|tls)(,\d{1,5}:(starttls|tls))*$/,
        'expected port:mode pairs such as 587:starttls,465:tls',
      )
      .default('587:starttls,465:tls,2525:starttls'),
    description:
      'Ports of the SMTP relay and how each starts TLS: `starttls` (submission) or `tls` (implicit TLS); port 0 picks a free one.',
  },
  HERALD_RELAY_BIND: {
    schema: z.string().min(1).default('0.0.0.0'),
    description: 'Interface the SMTP relay listens on.',
  },
  HERALD_RELAY_HOSTNAME: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9.-]{1,253}$/)
      .optional(),
    description: "Name the relay greets with and gives in its replies; unset, the machine's host name.",
  },
  HERALD_RELAY_TLS_CERT_FILE: {
    schema: z.string().min(1).optional(),
    description: 'PEM certificate (chain) of the relay; unset, a self-signed one is generated at start for local use.',
  },
  HERALD_RELAY_TLS_KEY_FILE: {
    schema: z.string().min(1).optional(),
    description: 'PEM private key of the relay certificate; required with HERALD_RELAY_TLS_CERT_FILE.',
    secret: true,
  },
  HERALD_RELAY_MAX_BYTES: {
    schema: positiveInt.default(10 * 1024 * 1024),
    description: 'Largest message the relay and the messages API accept (bytes); larger ones get 552 (SMTP) or 413.',
  },
  HERALD_RELAY_MAX_RECIPIENTS: {
    schema: positiveInt.max(1000).default(50),
    description: 'Recipients one relayed message may have; past it the relay answers 452 to RCPT.',
  },
  HERALD_RELAY_RATE_PER_MINUTE: {
    schema: positiveInt.default(600),
    description:
      'Messages one API key may hand the relay (and the messages API) per minute; past it 451 (SMTP) or 429.',
  },
  HERALD_RELAY_AUTH_MAX_FAILURES: {
    schema: positiveInt.default(10),
    description: 'Failed SMTP AUTH attempts one client (IPv4 address or IPv6 /64) may make in 15 minutes before 454.',
  },
  HERALD_RELAY_INSECURE_LOOPBACK_AUTH: {
    schema: bool.default(false),
    description:
      'Development only (NODE_ENV=development): let clients on loopback authenticate without TLS. Ignored otherwise.',
  },
  HERALD_INBOUND_PORT: {
    schema: port.default(2526),
    description:
      "Port of the inbound listener for bounces, complaint reports and mailed unsubscribes (the bounce domain's MX points here); 0 picks a free one.",
  },
  HERALD_INBOUND_BIND: {
    schema: z.string().min(1).default('0.0.0.0'),
    description: 'Interface the inbound listener listens on.',
  },
  HERALD_INBOUND_TLS_CERT_FILE: {
    schema: z.string().min(1).optional(),
    description:
      "PEM certificate (chain) the inbound listener offers with STARTTLS, for the MX host's name; unset, a self-signed one is generated at start (senders' TLS to an MX is opportunistic).",
  },
  HERALD_INBOUND_TLS_KEY_FILE: {
    schema: z.string().min(1).optional(),
    description: 'PEM private key of the inbound certificate; required with HERALD_INBOUND_TLS_CERT_FILE.',
    secret: true,
  },
  HERALD_INBOUND_DOMAINS: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9.-]+(,[A-Za-z0-9.-]+)*$/, 'expected domains such as bounces.example.com,example.org')
      .optional(),
    description:
      'Comma-separated domains the inbound listener takes mail for; unset, the domains of the configured senders (their VERP return paths and List-Unsubscribe mailto: addresses).',
  },
  HERALD_INBOUND_MAX_BYTES: {
    schema: positiveInt.default(10 * 1024 * 1024),
    description: 'Largest message the inbound listener accepts (bytes); larger ones get 552.',
  },
  HERALD_INBOUND_MAX_MESSAGES: {
    schema: positiveInt.default(10_000),
    description: 'Inbound messages kept for inspection (GET /api/v1/inbound/messages); the oldest go first.',
  },
  HERALD_WEBHOOK_ALLOW_HOSTS: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9.:[\]-]+(,[A-Za-z0-9.:[\]-]+)*$/, 'expected hosts such as localhost,127.0.0.1:8080')
      .optional(),
    description:
      'Local development only: comma-separated hosts (name or IP, optionally :port) webhooks may reach although they are not public, over http too. Leave unset in production.',
  },
  HERALD_WEBHOOK_MAX_ATTEMPTS: {
    schema: positiveInt.max(50).default(10),
    description: 'Attempts to deliver one batch of webhook events before it is given up (shown in the delivery log).',
  },
  HERALD_WEBHOOK_RETRY_MS: {
    schema: positiveInt.default(30_000),
    description:
      'Wait before the first retry of a failed webhook delivery; doubles with each attempt, at most 6 hours.',
  },
  LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    description: 'Log verbosity.',
  },
} satisfies Record<string, VariableSpec>;

type Variables = typeof CONFIG_VARIABLES;
export type HeraldConfig = { readonly [K in keyof Variables]: z.output<Variables[K]['schema']> };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): HeraldConfig {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(CONFIG_VARIABLES) as [string, VariableSpec][]) {
    const raw = env[name];
    const parsed = spec.schema.safeParse(raw === '' ? undefined : raw);
    if (parsed.success) values[name] = parsed.data;
    else problems.push(`${name}: ${parsed.error.issues.map((i) => i.message).join('; ')} (${spec.description})`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values as HeraldConfig;
}

/** The configuration as it may be shown to an operator: secrets masked. */
export function describeConfig(config: HeraldConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, spec] of Object.entries(CONFIG_VARIABLES) as [string, VariableSpec][]) {
    const value = config[name as keyof HeraldConfig];
    out[name] = value === undefined ? '(unset)' : spec.secret ? '(secret)' : String(value);
  }
  return out;
}

export const HERALD_CONFIG = Symbol('HERALD_CONFIG');
