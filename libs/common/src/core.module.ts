import { BullModule } from '@nestjs/bullmq';
import { type DynamicModule, Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { Redis } from 'ioredis';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { Clock } from './clock.js';
import { HERALD_CONFIG, type HeraldConfig } from './config.js';
import { dataSourceOptions } from './database.js';
import { DependencyMonitor } from './dependency-monitor.js';
import { InstallationClaim } from './installation.js';
import { loggerParams } from './logging.js';
import { OutgoingEvents } from './outgoing-events.js';
import { REDIS, connectRedis } from './redis.js';
import { AppSecret } from './secret.js';
import { Db } from './sql.js';
import { WakeUps } from './wake-ups.js';

@Injectable()
class RedisShutdown implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}

export interface CoreOptions {
  /**
   * Where log lines go instead of stdout. The logger is built once per
   * process, so only the first module created in a process decides.
   */
  logDestination?: DestinationStream;
}

/**
 * Everything a Herald process shares: the validated config, the database
 * connection (`Db`), the Redis connection for queues and structured logging.
 */
@Global()
@Module({})
export class HeraldCoreModule {
  static forRoot(config: HeraldConfig, options: CoreOptions = {}): DynamicModule {
    return {
      module: HeraldCoreModule,
      imports: [
        LoggerModule.forRoot(loggerParams(config, { destination: options.logDestination })),
        TypeOrmModule.forRoot(
          dataSourceOptions(config.DATABASE_URL, [], {
            size: config.HERALD_DB_POOL_SIZE,
            acquireTimeoutMs: config.HERALD_DB_ACQUIRE_TIMEOUT_MS,
          }),
        ),
        BullModule.forRoot({ connection: { url: config.REDIS_URL }, prefix: config.HERALD_QUEUE_PREFIX }),
        DiscoveryModule,
      ],
      providers: [
        { provide: HERALD_CONFIG, useValue: config },
        { provide: REDIS, useFactory: () => connectRedis(config.REDIS_URL) },
        RedisShutdown,
        DependencyMonitor,
        InstallationClaim,
        AppSecret,
        Clock,
        Db,
        OutgoingEvents,
        WakeUps,
      ],
      exports: [HERALD_CONFIG, REDIS, AppSecret, Clock, Db, DependencyMonitor, OutgoingEvents, WakeUps],
    };
  }
}
