import { Db, HERALD_CONFIG, type HeraldConfig, listLiveWorkers, Public, REDIS } from '@herald/common';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { withTimeout } from './with-timeout.js';

type Check = 'up' | 'down';
type DatabaseCheck = Check | 'busy';

const PROBE_TIMEOUT_MS = 2000;

class WorkersHealth {
  @ApiProperty({ description: 'Worker processes with a live heartbeat (renewed every 10 s, expires after 30 s)' })
  live!: number;
}

class Health {
  @ApiProperty({ enum: ['ok', 'degraded'], description: '`degraded` when the database or Redis is down' })
  status!: 'ok' | 'degraded';

  @ApiProperty({
    enum: ['up', 'busy', 'down'],
    description:
      '`busy`: every pooled connection is in use but Postgres answers a connection of its own; the ' +
      'instance is up (200) and requests may wait or get 503 until connections free up',
  })
  database!: DatabaseCheck;

  @ApiProperty({ enum: ['up', 'down'] })
  redis!: Check;

  @ApiProperty({ type: WorkersHealth })
  workers!: WorkersHealth;
}

@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(
    private readonly db: Db,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  @Public()
  @Get('health')
  @ApiOperation({
    summary: 'Database, Redis and worker status; 503 when the database or Redis is down',
    description:
      'Zero live workers does not make this endpoint fail: an api process is healthy on its own, ' +
      'with the workers running elsewhere. Alert on `workers.live` (or `herald_workers_live`) separately.',
  })
  @ApiOkResponse({ type: Health })
  @ApiServiceUnavailableResponse({ type: Health, description: 'The database or Redis is down' })
  async health(@Res({ passthrough: true }) res: Response): Promise<Health> {
    const [database, redis, live] = await Promise.all([
      this.probeDatabase(),
      this.probe(() => this.redis.ping()),
      // With Redis down, no worker can be seen (and none can take jobs): 0.
      withTimeout(listLiveWorkers(this.redis, this.config.HERALD_QUEUE_PREFIX), PROBE_TIMEOUT_MS).then(
        (workers) => workers.length,
        () => 0,
      ),
    ]);
    const status = database !== 'down' && redis === 'up' ? 'ok' : 'degraded';
    res.status(status === 'ok' ? 200 : 503);
    return { status, database, redis, workers: { live } };
  }

  /**
   * Through the pool when it has room; when every connection is taken (or
   * the pooled probe fails), on a connection of its own, so that a pool
   * worn out by slow queries reads `busy`, not `down`: a load balancer must
   * not drop an instance that is merely loaded.
   */
  private async probeDatabase(): Promise<DatabaseCheck> {
    const pool = this.db.poolUsage();
    const saturated = pool !== undefined && pool.idle === 0 && pool.total >= pool.size;
    if (!saturated) {
      try {
        await withTimeout(this.db.execute('SELECT 1'), PROBE_TIMEOUT_MS);
        return 'up';
      } catch (error) {
        // Refused, reset, shut down: an outage. Only waiting too long may be load.
        if (!/timed out|timeout exceeded/.test((error as Error).message)) return 'down';
      }
    }
    const direct = await this.probe(async () => {
      const client = new pg.Client({
        connectionString: this.config.DATABASE_URL,
        connectionTimeoutMillis: PROBE_TIMEOUT_MS,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
      } finally {
        await client.end().catch(() => undefined);
      }
    });
    return direct === 'up' ? 'busy' : 'down';
  }

  private async probe(check: () => Promise<unknown>): Promise<Check> {
    try {
      await withTimeout(check(), PROBE_TIMEOUT_MS);
      return 'up';
    } catch {
      return 'down';
    }
  }
}
