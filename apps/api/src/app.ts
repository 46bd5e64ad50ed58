import {
  createValidationPipe,
  CrossSiteGuard,
  type HeraldConfig,
  HttpErrorFilter,
  InputHygienePipe,
  logRequestsRefusedEarly,
  rejectUnsafeInput,
} from '@herald/common';
import type { INestApplication } from '@nestjs/common';
import { RequestMethod } from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import { Logger, PinoLogger } from 'nestjs-pino';
import { ApiModule, type ApiOptions } from './api.module.js';
import { serveDashboard } from './dashboard.js';
import { createApiDocument, JSON_BODY_LIMIT_MB } from './openapi.js';

/** Routes outside `/api/v1`: used by browsers and mail clients, not API callers. */
const UNPREFIXED = ['health', 'metrics', 't/{*path}', 'u/{*path}', 'w/{*path}', 'subscribe/{*path}'];

/**
 * `preview` wires the routes without creating any provider, so nothing
 * connects to Postgres or Redis: enough to build the OpenAPI document.
 */
export async function createApiApp(
  config: HeraldConfig,
  options: ApiOptions,
  { preview = false }: { preview?: boolean } = {},
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config, options), {
    bufferLogs: true,
    bodyParser: false,
    preview,
    ...(preview ? { logger: false } : {}),
  });
  if (!preview) app.useLogger(app.get(Logger));
  app.set('trust proxy', 'loopback');
  app.use(logRequestsRefusedEarly(() => PinoLogger.root));
  // Form bodies are parsed for the routes that document them (public forms);
  // CrossSiteGuard refuses them everywhere else with 415.
  app.useBodyParser('json', { limit: `${JSON_BODY_LIMIT_MB}mb` });
  app.useBodyParser('urlencoded', { limit: '64kb', extended: false });
  app.use(rejectUnsafeInput);
  app.use(cookieParser());
  serveDashboard(app);
  app.setGlobalPrefix('api/v1', { exclude: UNPREFIXED.map((path) => ({ path, method: RequestMethod.ALL })) });
  // Runs after the authentication guard (module guards come first) and before any handler or upload.
  app.useGlobalGuards(new CrossSiteGuard(new Reflector(), config.PUBLIC_URL));
  app.useGlobalPipes(new InputHygienePipe(), createValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter());
  app.enableShutdownHooks();

  SwaggerModule.setup('api/docs', app, createApiDocument(app), { jsonDocumentUrl: 'api/docs-json' });
  return app;
}
