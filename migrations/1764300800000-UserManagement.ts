import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Users an admin manages: a user can be deactivated (kept, with what they
 * created, but signed out and refused) and can be invited without a
 * password, which they then choose through a one-time link. Only the link's
 * SHA-256 is stored.
 */
export class UserManagement1764300800000 implements MigrationInterface {
  name = 'UserManagement1764300800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE users
        ALTER COLUMN password_hash DROP NOT NULL,
        ALTER COLUMN role SET DEFAULT 'member',
        ADD COLUMN deactivated_at timestamptz,
        ADD COLUMN password_token_hash text UNIQUE,
        ADD COLUMN password_token_expires_at timestamptz,
        ADD CONSTRAINT users_password_token_expiry CHECK ((password_token_hash IS NULL) = (password_token_expires_at IS NULL));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM users WHERE password_hash IS NULL;
      ALTER TABLE users
        DROP CONSTRAINT users_password_token_expiry,
        DROP COLUMN password_token_expires_at,
        DROP COLUMN password_token_hash,
        DROP COLUMN deactivated_at,
        ALTER COLUMN role SET DEFAULT 'admin',
        ALTER COLUMN password_hash SET NOT NULL;
    `);
  }
}
