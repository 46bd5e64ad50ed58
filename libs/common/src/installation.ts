import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { HERALD_CONFIG, type HeraldConfig } from './config.js';
import { REDIS } from './redis.js';
import { Db } from './sql.js';

/** Each running process renews its installation's claim on the prefix this often... */
export const CLAIM_RENEW_MS = 10_000;
/** ...and the claim lapses this long after the installation's last process stopped. */
export const CLAIM_TTL_SECONDS = 60;

export const installationKey = (prefix: string): string => `${prefix}:installation`;

/** Another installation's processes use the same Redis key prefix. */
export class PrefixInUseError extends Error {}

/**
 * Keeps two installations from sharing a Redis key prefix: their workers
 * would take each other's jobs. Each installation has an id kept in its
 * database (`settings.installation_id`); its running processes hold
 * `<prefix>:installation` with that id, and a process whose database holds
 * another id refuses to start while that claim lives.
 */
@Injectable()
export class InstallationClaim implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(InstallationClaim.name);
  private id = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly db: Db,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.db.execute(
      `INSERT INTO settings (key, value) VALUES ('installation_id', $1) ON CONFLICT (key) DO NOTHING`,
      [randomUUID()],
    );
    ({ value: this.id } = await this.db.one<{ value: string }>(
      `SELECT value FROM settings WHERE key = 'installation_id'`,
    ));
    const holder = await this.claim();
    if (holder !== undefined) {
      throw new PrefixInUseError(
        `the Redis key prefix "${this.config.HERALD_QUEUE_PREFIX}" is in use by another Herald installation ` +
          `(one with another database), and installations sharing a prefix take each other's jobs. ` +
          `Set HERALD_QUEUE_PREFIX to a prefix of this installation's own. (If that other installation is gone ` +
          `for good, its claim lapses ${CLAIM_TTL_SECONDS} s after its last process stopped.)`,
      );
    }
    this.timer = setInterval(() => void this.renew(), CLAIM_RENEW_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Takes or renews the claim; returns the other installation's id when it holds the prefix. */
  private async claim(): Promise<string | undefined> {
    const key = installationKey(this.config.HERALD_QUEUE_PREFIX);
    if ((await this.redis.set(key, this.id, 'EX', CLAIM_TTL_SECONDS, 'NX')) === 'OK') return undefined;
    const holder = await this.redis.get(key);
    if (holder !== null && holder !== this.id) return holder;
    await this.redis.set(key, this.id, 'EX', CLAIM_TTL_SECONDS);
    return undefined;
  }

  private async renew(): Promise<void> {
    try {
      if ((await this.claim()) !== undefined) {
        // Taken while this installation was away (Redis flushed or down past the TTL): say it loudly.
        this.logger.error({ prefix: this.config.HERALD_QUEUE_PREFIX }, 'installation.prefix_in_use');
      }
    } catch {
      // Redis is down: the DependencyMonitor reports it; the next renewal tries again.
    }
  }
}
