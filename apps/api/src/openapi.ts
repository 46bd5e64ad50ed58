import { ACCEPTS_CROSS_SITE, IS_PUBLIC } from '@herald/common';
import type { INestApplication } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import {
  DocumentBuilder,
  type OpenAPIObject,
  type OperationObject,
  type ParameterObject,
  type ReferenceObject,
  type ResponseObject,
  type SchemaObject,
  SwaggerModule,
} from '@nestjs/swagger';

/** The largest JSON body the api parses; larger is a 413. */
export const JSON_BODY_LIMIT_MB = 1;

const ERROR_SCHEMA = 'Error';

/** What libs/common's HttpErrorFilter answers for every error. */
const errorSchema: SchemaObject = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer', example: 400 },
    error: { type: 'string', example: 'Bad Request' },
    message: { type: 'string', example: 'email must be an email' },
    fields: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'The input at fault, by name, with the reason',
      example: { email: 'must be an email' },
    },
    errorId: { type: 'string', description: 'Only on 500: quote it when reporting the problem' },
  },
};

/** Said of an answer when the route does not say more. */
const DEFAULT_DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed input; `fields` names each property at fault',
  401: 'No valid session or API key',
  403: "Refused as cross-site: a request signed in by cookie, or a sign-in, must come from Herald's own pages",
  404: 'Nothing has this id',
  409: 'Conflicts with the current state',
  413: `The JSON body is larger than ${JSON_BODY_LIMIT_MB} MB`,
  415: 'The body is not of a type this route takes, or JSON not in UTF-8',
  422: 'Well-formed but cannot be processed',
  429: 'Too many requests; retry later',
};

interface RouteFacts {
  public: boolean;
  /** `@AcceptsCrossSite()`: exempt from CrossSiteGuard's same-origin check when public. */
  acceptsCrossSite: boolean;
}

const UNSAFE_METHODS = new Set(['post', 'put', 'patch', 'delete']);

/**
 * The document /api/docs-json serves. Besides what the decorators say, every
 * operation gets the error answers that follow from how the api handles all
 * routes, so a new route is documented right without repeating them:
 * - needs a session or API key (not `@Public()`) -> 401, with the shared security;
 * - takes path, query or body input -> 400 (validation, malformed id or JSON);
 * - has a path parameter (authenticated routes) -> 404;
 * - POST, PUT, PATCH or DELETE -> 403 from CrossSiteGuard (unless public and
 *   `@AcceptsCrossSite()`), 415 for a body of a type the route does not take;
 * - takes a JSON body -> 413 past JSON_BODY_LIMIT_MB, 415 in another charset.
 * Answers only some routes give (409, 422, 429, a public route's 401 or 404)
 * are declared on the route with @nestjs/swagger's `Api...Response` decorators.
 * Every 4xx answer carries the shared error shape (`Error`).
 */
export function createApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Herald API')
      .setDescription('Contacts, lists, imports, segments, templates and campaigns.')
      .setVersion('1')
      .setLicense('AGPL-3.0-only', 'https://www.gnu.org/licenses/agpl-3.0.html')
      // Relative, so it names whichever Herald serves this document.
      .addServer('/', 'The Herald serving this document')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key or a session token' })
      .addCookieAuth('herald_session', { type: 'apiKey', description: 'The session cookie set by POST /auth/login' })
      .addBearerAuth(
        { type: 'http', scheme: 'bearer', description: 'HERALD_METRICS_TOKEN (not an API key)' },
        'metricsToken',
      )
      .addSecurityRequirements('bearer')
      .addSecurityRequirements('cookie')
      .build(),
    { operationIdFactory: (controller, method) => operationId(controller, method) },
  );
  addErrorAnswers(document, routeFacts(app));
  return document;
}

const operationId = (controller: string, method: string) => `${controller}_${method}`;

/** Facts about each route handler, by operation id, read from the Nest metadata. */
function routeFacts(app: INestApplication): Map<string, RouteFacts> {
  const facts = new Map<string, RouteFacts>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller) continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        // Handler first, then controller: as the guards' Reflector reads it.
        const flag = (key: string) =>
          ((Reflect.getMetadata(key, handler) ?? Reflect.getMetadata(key, controller)) as boolean | undefined) === true;
        facts.set(operationId(controller.name, name), {
          public: flag(IS_PUBLIC),
          acceptsCrossSite: flag(ACCEPTS_CROSS_SITE),
        });
      }
    }
  }
  return facts;
}

function addErrorAnswers(document: OpenAPIObject, facts: Map<string, RouteFacts>): void {
  document.components = { ...document.components };
  document.components.schemas = { ...document.components.schemas, [ERROR_SCHEMA]: errorSchema };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (!operation) continue;
      const route = facts.get(operation.operationId ?? '');
      if (!route) throw new Error(`No route handler found for ${method.toUpperCase()} ${path}`);
      for (const status of derivedErrors(method, operation, route)) {
        operation.responses[status] ??= { description: '' };
      }
      if (route.public) operation.security ??= [];
      for (const [status, response] of Object.entries(operation.responses)) {
        if (response && /^4\d\d$/.test(status)) describeError(response, Number(status));
      }
    }
  }
}

function derivedErrors(method: string, operation: OperationObject, route: RouteFacts): number[] {
  const parameters = (operation.parameters ?? []) as (ParameterObject | ReferenceObject)[];
  const inPath = parameters.some((p) => 'in' in p && p.in === 'path');
  const body = operation.requestBody && 'content' in operation.requestBody ? operation.requestBody.content : {};
  const jsonBody = 'application/json' in body;
  const statuses: number[] = [];
  if (parameters.length > 0 || operation.requestBody) statuses.push(400);
  if (!route.public) statuses.push(401);
  if (inPath && !route.public) statuses.push(404);
  const unsafe = UNSAFE_METHODS.has(method);
  if (unsafe && !(route.public && route.acceptsCrossSite)) statuses.push(403);
  if (jsonBody) statuses.push(413);
  if (jsonBody || unsafe) statuses.push(415);
  return statuses;
}

function describeError(response: ResponseObject | ReferenceObject, status: number): void {
  if ('$ref' in response) return;
  if (!response.description) response.description = DEFAULT_DESCRIPTIONS[status] ?? 'Client error';
  response.content ??= { 'application/json': { schema: { $ref: `#/components/schemas/${ERROR_SCHEMA}` } } };
}
