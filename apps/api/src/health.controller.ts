import { Public, REDIS } from '@herald/common';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';

type Check = 'up' | 'down';

@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(
    private readonly db: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  @Public()
  @Get('health')
  @ApiOperation({ summary: 'Database and Redis reachability; 503 when one is down' })
  async health(
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ status: 'ok' | 'degraded'; database: Check; redis: Check }> {
    const [database, redis] = await Promise.all([
      this.probe(() => this.db.query('SELECT 1')),
      this.probe(() => this.redis.ping()),
    ]);
    const status = database === 'up' && redis === 'up' ? 'ok' : 'degraded';
    res.status(status === 'ok' ? 200 : 503);
    return { status, database, redis };
  }

  private async probe(check: () => Promise<unknown>): Promise<Check> {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref());
    try {
      await Promise.race([check(), timeout]);
      return 'up';
    } catch {
      return 'down';
    }
  }
}
