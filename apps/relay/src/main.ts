import 'reflect-metadata';
import { exitOnStartupFailure, prepareProcess } from '@herald/common';
import { InboundServer } from '@herald/inbound';
import { RelayServer } from '@herald/relay';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { migrations } from '../../../migrations/index.js';
import { RelayAppModule } from './relay-app.module.js';

async function main(): Promise<void> {
  const config = await prepareProcess({ migrations });
  const app = await NestFactory.createApplicationContext(RelayAppModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
  const ports = app
    .get(RelayServer)
    .listeners()
    .map((l) => `${l.port} (${l.mode})`);
  console.log(`Herald relay is listening on ${ports.join(', ')}; inbound mail on ${app.get(InboundServer).port}`);
}

main().catch(exitOnStartupFailure('Herald relay'));
