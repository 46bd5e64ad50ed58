/** SQL of the `senders` table; every statement on it lives here or in SendersService. */

/** A sender as stored, secrets still sealed. */
export interface SenderRow {
  id: string;
  kind: 'smtp' | 'sandbox';
  name: string;
  host: string;
  port: number;
  security: 'none' | 'starttls' | 'tls';
  username: string | null;
  password_encrypted: Buffer | null;
  from_email: string;
  from_name: string | null;
  reply_to: string | null;
  postal_address: string;
  /** numeric: the pg driver gives it as a string. */
  rate_per_second: string;
  daily_limit: number | null;
  time_zone: string;
  pool_size: number;
  dkim_domain: string | null;
  dkim_selector: string | null;
  dkim_private_key_encrypted: Buffer | null;
  dkim_public_key: string | null;
  disabled_reason: string | null;
  disabled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const SENDER_COLUMNS = `id, kind, name, host, port, security, username, password_encrypted, from_email, from_name,
  reply_to, postal_address, rate_per_second, daily_limit, time_zone, pool_size, dkim_domain, dkim_selector,
  dkim_private_key_encrypted, dkim_public_key, disabled_reason, disabled_at, created_at, updated_at`;

/** The columns a create or an update writes, in the order of their parameters ($1..$19). */
export const WRITABLE_COLUMNS = [
  'name',
  'host',
  'port',
  'security',
  'username',
  'password_encrypted',
  'from_email',
  'from_name',
  'reply_to',
  'postal_address',
  'rate_per_second',
  'daily_limit',
  'time_zone',
  'pool_size',
  'dkim_domain',
  'dkim_selector',
  'dkim_private_key_encrypted',
  'dkim_public_key',
] as const;

export const INSERT_SENDER = `
  INSERT INTO senders (kind, ${WRITABLE_COLUMNS.join(', ')})
  VALUES ('smtp', ${WRITABLE_COLUMNS.map((_c, i) => `$${i + 1}`).join(', ')})
  RETURNING ${SENDER_COLUMNS}`;

/** A change also puts a sender the pool took out back in service: the operator fixed it. */
export const UPDATE_SENDER = `
  UPDATE senders SET ${WRITABLE_COLUMNS.map((c, i) => `${c} = $${i + 2}`).join(', ')},
    disabled_reason = NULL, disabled_at = NULL, updated_at = now()
  WHERE id = $1
  RETURNING ${SENDER_COLUMNS}`;

/**
 * Key of the advisory lock under which a sandbox sender is created: processes
 * starting together must not each add one. Any constant will do.
 */
export const SANDBOX_SENDER_LOCK_KEY = '310617656401';

/**
 * The sandbox sender of a fresh install. `$8` says what must not exist yet:
 * `any` sender at all (start-up), or a `sandbox` one (someone asks for it).
 */
export const INSERT_SANDBOX_SENDER = `
  INSERT INTO senders (kind, name, host, port, security, from_email, from_name, postal_address,
                       rate_per_second, daily_limit, time_zone, pool_size)
  SELECT 'sandbox', $1, $2, $3, 'none', $4, $5, $6, $7, NULL, 'UTC', 2
  WHERE NOT EXISTS (SELECT 1 FROM senders WHERE $8::text = 'any' OR kind = 'sandbox')
  RETURNING id`;

export const SANDBOX_SENDER_DEFAULTS = {
  name: 'Sandbox inbox',
  fromEmail: 'newsletter@sandbox.herald.test',
  fromName: 'Herald sandbox',
  postalAddress: 'Change me: your postal address, 1 Example Street, City',
  ratePerSecond: 50,
} as const;
