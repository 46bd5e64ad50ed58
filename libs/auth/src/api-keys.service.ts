import { Db, notFound, parseId } from '@herald/common';
import { Injectable } from '@nestjs/common';
import { API_KEY_PREFIX, newApiKey, sha256 } from './tokens.js';

/** `full`: the HTTP API and the SMTP relay; `relay`: SMTP AUTH only, refused by the HTTP API. */
export const API_KEY_SCOPES = ['full', 'relay'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/**
 * Whether mail sent under a key (relayed, or through `POST /messages`) gets
 * the open pixel and tracked links. Both off unless asked: transactional
 * mail is untracked by default.
 */
export interface MessageTracking {
  trackOpens: boolean;
  trackClicks: boolean;
}

export const NO_TRACKING: MessageTracking = { trackOpens: false, trackClicks: false };

/** A key that authenticated an SMTP session: who sent, under which key, tracked how. */
export interface RelayKey extends MessageTracking {
  keyId: string;
  userId: string;
  scope: ApiKeyScope;
}

export interface ApiKeyView extends MessageTracking {
  id: string;
  name: string;
  prefix: string;
  scope: ApiKeyScope;
  createdAt: string;
  lastUsedAt: string | null;
}

interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  scope: ApiKeyScope;
  track_opens: boolean;
  track_clicks: boolean;
  created_at: Date;
  last_used_at: Date | null;
}

const VIEW_COLUMNS = 'id, name, prefix, scope, track_opens, track_clicks, created_at, last_used_at';

const toView = (r: ApiKeyRow): ApiKeyView => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  scope: r.scope,
  trackOpens: r.track_opens,
  trackClicks: r.track_clicks,
  createdAt: r.created_at.toISOString(),
  lastUsedAt: r.last_used_at?.toISOString() ?? null,
});

/** What a key is created with besides its name. */
export interface NewApiKey extends Partial<MessageTracking> {
  scope?: ApiKeyScope;
}

/** API keys belong to one user; a user sees and revokes only their own. */
@Injectable()
export class ApiKeysService {
  constructor(private readonly db: Db) {}

  async create(userId: string, name: string, options: NewApiKey = {}): Promise<ApiKeyView & { key: string }> {
    const { key, prefix } = newApiKey();
    const row = await this.db.one<ApiKeyRow>(
      `INSERT INTO api_keys (user_id, name, prefix, key_hash, scope, track_opens, track_clicks)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       RETURNING ${VIEW_COLUMNS}`,
      [
        userId,
        name,
        prefix,
        sha256(key),
        options.scope ?? 'full',
        options.trackOpens ?? false,
        options.trackClicks ?? false,
      ],
    );
    return { ...toView(row), key };
  }

  async list(userId: string): Promise<ApiKeyView[]> {
    const rows = await this.db.rows<ApiKeyRow>(
      `SELECT ${VIEW_COLUMNS} FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id`,
      [userId],
    );
    return rows.map(toView);
  }

  /** How mail sent under key `id` is tracked; untracked when the key is gone (revoked while a request ran). */
  async messageTracking(id: string): Promise<MessageTracking> {
    const row = await this.db.maybeOne<{ track_opens: boolean; track_clicks: boolean }>(
      `SELECT track_opens, track_clicks FROM api_keys WHERE id = $1 AND revoked_at IS NULL`,
      [id],
    );
    return row === undefined ? NO_TRACKING : { trackOpens: row.track_opens, trackClicks: row.track_clicks };
  }

  async revoke(userId: string, id: string): Promise<void> {
    const revoked = await this.db.execute(
      `UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`,
      [parseId(id), userId],
    );
    if (revoked === 0) throw notFound('API key', id);
  }

  /**
   * The active key of an active user that `key` is, of any scope, for SMTP
   * AUTH; null otherwise. `last_used_at` is kept to the minute, as for HTTP.
   */
  async verifyForRelay(key: string): Promise<RelayKey | null> {
    if (!key.startsWith(API_KEY_PREFIX) || key.length > 200) return null;
    const row = await this.db.maybeOne<{
      id: string;
      user_id: string;
      scope: ApiKeyScope;
      track_opens: boolean;
      track_clicks: boolean;
    }>(
      `WITH k AS (
         SELECT a.id, a.user_id, a.scope, a.track_opens, a.track_clicks, a.last_used_at
         FROM api_keys a JOIN users u ON u.id = a.user_id
         WHERE a.key_hash = $1 AND a.revoked_at IS NULL AND u.deactivated_at IS NULL
       ), touched AS (
         UPDATE api_keys a SET last_used_at = now() FROM k
         WHERE a.id = k.id AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute')
       )
       SELECT id, user_id, scope, track_opens, track_clicks FROM k`,
      [sha256(key)],
    );
    return row === undefined
      ? null
      : {
          keyId: row.id,
          userId: row.user_id,
          scope: row.scope,
          trackOpens: row.track_opens,
          trackClicks: row.track_clicks,
        };
  }
}
