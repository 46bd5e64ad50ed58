import { Db, notFound, parseId } from '@herald/common';
import { Injectable } from '@nestjs/common';
import { newApiKey, sha256 } from './tokens.js';

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
}

interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
}

const toView = (r: ApiKeyRow): ApiKeyView => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  createdAt: r.created_at.toISOString(),
  lastUsedAt: r.last_used_at?.toISOString() ?? null,
});

/** API keys belong to one user; a user sees and revokes only their own. */
@Injectable()
export class ApiKeysService {
  constructor(private readonly db: Db) {}

  async create(userId: string, name: string): Promise<ApiKeyView & { key: string }> {
    const { key, prefix } = newApiKey();
    const row = await this.db.one<ApiKeyRow>(
      `INSERT INTO api_keys (user_id, name, prefix, key_hash) VALUES ($1, $2, $3, $4)
       RETURNING id, name, prefix, created_at, last_used_at`,
      [userId, name, prefix, sha256(key)],
    );
    return { ...toView(row), key };
  }

  async list(userId: string): Promise<ApiKeyView[]> {
    const rows = await this.db.rows<ApiKeyRow>(
      `SELECT id, name, prefix, created_at, last_used_at FROM api_keys
       WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id`,
      [userId],
    );
    return rows.map(toView);
  }

  async revoke(userId: string, id: string): Promise<void> {
    const revoked = await this.db.execute(
      `UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`,
      [parseId(id), userId],
    );
    if (revoked === 0) throw notFound('API key', id);
  }
}
