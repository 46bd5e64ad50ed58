import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { HERALD_CONFIG, type HeraldConfig } from './config.js';
import { Db } from './sql.js';

/**
 * The key behind every signed token. Taken from HERALD_SECRET when set;
 * otherwise generated once and kept in `settings`, so tokens in mail already
 * sent stay valid across restarts and across processes.
 */
@Injectable()
export class AppSecret implements OnModuleInit {
  private key: Buffer | undefined;

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly db: Db,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.HERALD_SECRET) {
      this.key = Buffer.from(this.config.HERALD_SECRET);
      return;
    }
    const candidate = randomBytes(32).toString('base64url');
    await this.db.execute(`INSERT INTO settings (key, value) VALUES ('app_secret', $1) ON CONFLICT (key) DO NOTHING`, [
      candidate,
    ]);
    const row = await this.db.one<{ value: string }>(`SELECT value FROM settings WHERE key = 'app_secret'`);
    this.key = Buffer.from(row.value);
  }

  get value(): Buffer {
    if (!this.key) throw new Error('AppSecret used before the module initialised');
    return this.key;
  }
}
