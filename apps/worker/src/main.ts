import 'reflect-metadata';
import { exitOnStartupFailure, prepareProcess } from '@herald/common';
import { migrations } from '../../../migrations/index.js';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { WorkerModule } from './worker.module.js';

async function main(): Promise<void> {
  const config = await prepareProcess({ migrations });
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
  console.log('Herald worker is processing jobs');
}

main().catch(exitOnStartupFailure('Herald worker'));
