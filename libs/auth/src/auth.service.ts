import { Db, DomainError, HERALD_CONFIG, type HeraldConfig } from '@herald/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import type { Principal } from '@herald/common';
import { LoginThrottle } from './login-throttle.js';
import { API_KEY_PREFIX, newSessionToken, sha256 } from './tokens.js';

export const DEFAULT_ADMIN_EMAIL = 'admin@herald.localhost';

interface UserRow {
  id: string;
  email: string;
  role: Principal['role'];
  password_hash: string | null;
  deactivated: boolean;
}

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);
  /** Verified against when the email is unknown, so timing does not reveal which emails exist. */
  private decoyHash: Promise<string> | undefined;

  constructor(
    private readonly db: Db,
    private readonly throttle: LoginThrottle,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  /** Creates the first admin when there is no user at all. */
  async ensureFirstAdmin(): Promise<void> {
    const { count } = await this.db.one<{ count: number }>('SELECT count(*)::int AS count FROM users');
    if (count > 0) return;
    const email = this.config.HERALD_ADMIN_EMAIL ?? DEFAULT_ADMIN_EMAIL;
    const password = this.config.HERALD_ADMIN_PASSWORD ?? randomBytes(12).toString('base64url');
    // ON CONFLICT: api processes starting together on a fresh database all get
    // here; the ones that lose the race must start, not die on the unique index.
    const inserted = await this.db.execute(
      `INSERT INTO users (email, password_hash, role)
       SELECT $1, $2, 'admin' WHERE NOT EXISTS (SELECT 1 FROM users)
       ON CONFLICT DO NOTHING`,
      [email, await argon2.hash(password)],
    );
    if (inserted === 0) return;
    if (this.config.HERALD_ADMIN_PASSWORD)
      this.logger.log(`Created admin ${email} from HERALD_ADMIN_EMAIL/HERALD_ADMIN_PASSWORD`);
    else
      // Printed once, on purpose: this is the only way to learn the generated password.
      this.logger.warn(
        `Created local admin ${email} with password ${password} — change it (POST /api/v1/users/:id/password-link) or set HERALD_ADMIN_PASSWORD`,
      );
  }

  async createUser(email: string, password: string, role: Principal['role'] = 'member'): Promise<string> {
    const { id } = await this.db.one<{ id: string }>(
      `INSERT INTO users (email, password_hash, role) VALUES ($1, $2, $3) RETURNING id`,
      [email.trim(), await argon2.hash(password), role],
    );
    return id;
  }

  async login(
    email: string,
    password: string,
    ip: string,
  ): Promise<{ token: string; expiresAt: Date; principal: Principal }> {
    const attempt = await this.throttle.count(email, ip);
    const user = await this.db.maybeOne<UserRow>(
      `SELECT id, email, role, password_hash, deactivated_at IS NOT NULL AS deactivated
       FROM users WHERE lower(email) = lower($1)`,
      [email.trim()],
    );
    // Invited users have no password yet: they are checked against the decoy too.
    const ok = user?.password_hash
      ? await argon2.verify(user.password_hash, password)
      : await argon2.verify(await this.decoy(), password).then(() => false);
    if (!user || !ok) {
      throw new DomainError('unauthorized', 'Email or password is wrong', { password: 'does not match' });
    }
    // Said only to whoever knows the password; still counted as a failure.
    if (user.deactivated) throw new DomainError('forbidden', 'This account is deactivated; ask an admin');
    await this.throttle.succeeded(attempt);
    const token = newSessionToken();
    const expiresAt = new Date(Date.now() + this.config.HERALD_SESSION_TTL_HOURS * 3600_000);
    // Each login also drops the user's expired sessions, so the table stays the size of the live ones.
    await this.db.execute(
      `WITH expired AS (DELETE FROM sessions WHERE user_id = $1 AND expires_at <= now() RETURNING id)
       INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, $3)`,
      [user.id, sha256(token), expiresAt],
    );
    return { token, expiresAt, principal: { userId: user.id, email: user.email, role: user.role, via: 'session' } };
  }

  async logout(token: string): Promise<void> {
    await this.db.execute('DELETE FROM sessions WHERE token_hash = $1', [sha256(token)]);
  }

  /**
   * Resolves a bearer token or session cookie value to its user, or null.
   * Read on every request, so a deactivation or a role change counts at once.
   */
  async authenticate(token: string): Promise<Principal | null> {
    if (token.length > 200) return null;
    if (token.startsWith(API_KEY_PREFIX)) {
      // last_used_at is kept to the minute: writing it on every request would
      // turn each API call into a write and queue a busy key's calls on one row lock.
      const user = await this.db.maybeOne<Omit<UserRow, 'password_hash' | 'deactivated'> & { key_id: string }>(
        `WITH k AS (
           SELECT a.id AS key_id, a.last_used_at, u.id AS user_id, u.email, u.role
           FROM api_keys a JOIN users u ON u.id = a.user_id
           WHERE a.key_hash = $1 AND a.revoked_at IS NULL AND u.deactivated_at IS NULL
             -- A relay key is good for SMTP AUTH only.
             AND a.scope = 'full'
         ), touched AS (
           UPDATE api_keys a SET last_used_at = now() FROM k
           WHERE a.id = k.key_id AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute')
         )
         SELECT user_id AS id, email, role, key_id FROM k`,
        [sha256(token)],
      );
      return user
        ? { userId: user.id, email: user.email, role: user.role, via: 'api_key', apiKeyId: user.key_id }
        : null;
    }
    const user = await this.db.maybeOne<Omit<UserRow, 'password_hash' | 'deactivated'>>(
      `SELECT u.id, u.email, u.role FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.token_hash = $1 AND s.expires_at > now() AND u.deactivated_at IS NULL`,
      [sha256(token)],
    );
    return user ? { userId: user.id, email: user.email, role: user.role, via: 'session' } : null;
  }

  private decoy(): Promise<string> {
    this.decoyHash ??= argon2.hash(randomBytes(16).toString('hex'));
    return this.decoyHash;
  }
}
