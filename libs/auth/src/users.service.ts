import {
  conflict,
  Db,
  decodeCursor,
  DomainError,
  HERALD_CONFIG,
  type HeraldConfig,
  notFound,
  type Page,
  parseId,
  type Sql,
  toPage,
} from '@herald/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import argon2 from 'argon2';
import type { Role } from './roles.js';
import { newSessionToken, sha256 } from './tokens.js';

/** How long a set-password link works; issuing a new one ends the old one. */
export const PASSWORD_LINK_TTL_HOURS = 7 * 24;

export interface UserView {
  id: string;
  email: string;
  role: Role;
  active: boolean;
  /** False for an invited user who has not yet chosen a password. */
  passwordSet: boolean;
  createdAt: string;
  deactivatedAt: string | null;
}

/** A one-time link to choose a password; its secret is shown once, when issued. */
export interface PasswordLink {
  url: string;
  token: string;
  expiresAt: string;
}

export interface NewUser {
  email: string;
  role: Role;
  /** Without one, the user chooses it through the returned link. */
  password?: string;
}

export interface UserChange {
  role?: Role;
  active?: boolean;
}

interface UserRow {
  id: string;
  email: string;
  role: Role;
  password_set: boolean;
  created_at: Date;
  deactivated_at: Date | null;
}

const USER_COLUMNS = `id, email, role, password_hash IS NOT NULL AS password_set, created_at, deactivated_at`;

const toView = (r: UserRow): UserView => ({
  id: r.id,
  email: r.email,
  role: r.role,
  active: r.deactivated_at === null,
  passwordSet: r.password_set,
  createdAt: r.created_at.toISOString(),
  deactivatedAt: r.deactivated_at?.toISOString() ?? null,
});

const isActiveAdmin = (r: UserRow) => r.role === 'admin' && r.deactivated_at === null;

/**
 * The people who can sign in. Admins manage them; there is always at least
 * one active admin, so an installation can never lock itself out.
 */
@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    private readonly db: Db,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  async list(limit: number, cursor?: string): Promise<Page<UserView>> {
    const rows = await this.db.rows<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users WHERE ($1::bigint IS NULL OR id > $1) ORDER BY id LIMIT $2`,
      [decodeCursor(cursor) ?? null, limit + 1],
    );
    return toPage(rows, limit, toView);
  }

  async get(rawId: string): Promise<UserView> {
    return toView(await this.find(this.db, parseId(rawId)));
  }

  async create(input: NewUser): Promise<{ user: UserView; passwordLink: PasswordLink | null }> {
    const email = input.email.trim();
    const passwordHash = input.password === undefined ? null : await argon2.hash(input.password);
    const link = passwordHash === null ? this.newPasswordLink() : null;
    // The unique index is on lower(email): "Ann@x" and "ann@x" are one user.
    const row = await this.db.maybeOne<UserRow>(
      `INSERT INTO users (email, password_hash, role, password_token_hash, password_token_expires_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING ${USER_COLUMNS}`,
      [email, passwordHash, input.role, link?.tokenHash ?? null, link?.expiresAt ?? null],
    );
    if (row === undefined) throw conflict(`A user with email ${email} already exists`, { email: 'already a user' });
    this.logger.log({ event: 'user.created', userId: row.id, role: input.role }, 'user created');
    return { user: toView(row), passwordLink: link && link.view };
  }

  /**
   * Changes a user's role or whether they may sign in. Deactivation ends their
   * sessions at once and refuses their API keys until they are reactivated.
   * Refused with 409 when it would leave no active admin.
   */
  async update(rawId: string, change: UserChange): Promise<UserView> {
    const id = parseId(rawId);
    const row = await this.db.transaction(async (tx) => {
      // Locking every active admin serialises changes to the set of admins:
      // two admins demoting each other at once cannot both succeed.
      const admins = await tx.rows<{ id: string }>(
        `SELECT id FROM users WHERE role = 'admin' AND deactivated_at IS NULL ORDER BY id FOR UPDATE`,
      );
      const current = await this.find(tx, id, true);
      if (change.role === undefined && change.active === undefined) {
        throw new DomainError('invalid', 'Send role, active or both', { role: 'role or active is required' });
      }
      const role = change.role ?? current.role;
      const active = change.active ?? current.deactivated_at === null;
      const staysActiveAdmin = role === 'admin' && active;
      if (isActiveAdmin(current) && !staysActiveAdmin && admins.every((admin) => admin.id === id)) {
        throw conflict(
          `${current.email} is the last active admin; make another user an admin first`,
          change.role === undefined ? { active: 'last active admin' } : { role: 'last active admin' },
        );
      }
      const changed = await tx.one<UserRow>(
        `UPDATE users SET role = $2,
           deactivated_at = CASE WHEN $3::boolean THEN NULL ELSE coalesce(deactivated_at, now()) END,
           password_token_hash = CASE WHEN $3::boolean THEN password_token_hash END,
           password_token_expires_at = CASE WHEN $3::boolean THEN password_token_expires_at END
         WHERE id = $1 RETURNING ${USER_COLUMNS}`,
        [id, role, active],
      );
      if (!active) await tx.execute('DELETE FROM sessions WHERE user_id = $1', [id]);
      return changed;
    });
    this.logger.log(
      { event: 'user.updated', userId: id, role: row.role, active: row.deactivated_at === null },
      'user updated',
    );
    return toView(row);
  }

  /** A new set-password link for an active user (an invite again, or a reset); the previous one stops working. */
  async issuePasswordLink(rawId: string): Promise<PasswordLink> {
    const id = parseId(rawId);
    const link = this.newPasswordLink();
    const issued = await this.db.execute(
      `UPDATE users SET password_token_hash = $2, password_token_expires_at = $3
       WHERE id = $1 AND deactivated_at IS NULL`,
      [id, link.tokenHash, link.expiresAt],
    );
    if (issued === 0) {
      await this.find(this.db, id);
      throw conflict('The user is deactivated; reactivate them first', { id: 'deactivated' });
    }
    this.logger.log({ event: 'user.password_link_issued', userId: id }, 'password link issued');
    return link.view;
  }

  /**
   * Sets the password of the user a link was issued to. The link works once;
   * the user's other sessions end, since a reset is often about a leak.
   */
  async setPassword(token: string, password: string): Promise<void> {
    const tokenHash = sha256(token);
    const valid = `password_token_hash = $1 AND password_token_expires_at > now() AND deactivated_at IS NULL`;
    // Checked before hashing, so that made-up tokens cost no argon2 work.
    const pending = await this.db.maybeOne(`SELECT 1 FROM users WHERE ${valid}`, [tokenHash]);
    const rows =
      pending === undefined
        ? []
        : await this.db.rows<{ id: string }>(
            `WITH changed AS (
               UPDATE users SET password_hash = $2, password_token_hash = NULL, password_token_expires_at = NULL
               WHERE ${valid} RETURNING id
             ), ended AS (
               DELETE FROM sessions s USING changed WHERE s.user_id = changed.id
             ) SELECT id FROM changed`,
            [tokenHash, await argon2.hash(password)],
          );
    if (rows.length === 0) {
      throw new DomainError(
        'invalid',
        'This set-password link is invalid, used or expired; ask an admin for a new one',
        {
          token: 'invalid, used or expired',
        },
      );
    }
    this.logger.log({ event: 'user.password_set', userId: rows[0].id }, 'password set');
  }

  private async find(sql: Sql, id: string, forUpdate = false): Promise<UserRow> {
    const row = await sql.maybeOne<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users WHERE id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
      [id],
    );
    if (row === undefined) throw notFound('User', id);
    return row;
  }

  private newPasswordLink(): { tokenHash: string; expiresAt: Date; view: PasswordLink } {
    const token = newSessionToken();
    const expiresAt = new Date(Date.now() + PASSWORD_LINK_TTL_HOURS * 3600_000);
    // In the fragment, so the secret never reaches a server log or a Referer header.
    const url = `${this.config.PUBLIC_URL.replace(/\/+$/, '')}/set-password#token=${token}`;
    return { tokenHash: sha256(token), expiresAt, view: { url, token, expiresAt: expiresAt.toISOString() } };
  }
}
