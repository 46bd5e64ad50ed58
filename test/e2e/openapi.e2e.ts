import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JSON_BODY_LIMIT_MB } from '../../apps/api/src/openapi.js';
import { startTestApp, type TestApp } from '../support/app.js';

interface ExpressLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

interface Schema {
  $ref?: string;
  type?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: unknown;
  oneOf?: unknown;
  anyOf?: unknown;
  allOf?: unknown;
  example?: unknown;
}

type Security = Record<string, string[]>[];

interface Operation {
  operationId: string;
  security?: Security;
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}

interface Document {
  security?: Security;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

interface Documented {
  method: string;
  path: string;
  op: Operation;
  /** Needs credentials: its security names at least one scheme and no `{}` alternative. */
  needsAuth: boolean;
  hasPathId: boolean;
}

/** `/contacts/:id` (Express) is `/contacts/{id}` in OpenAPI. */
const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
const withParams = (path: string, value: string) => path.replace(/\{[^}]+\}/g, encodeURIComponent(value));
const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** What `npm run openapi` runs. */
const WRITE_OPENAPI = 'apps/api/src/write-openapi.ts';
const UNKNOWN_ID = '987654321';
const METRICS_TOKEN = 'metrics-token-for-openapi-tests';

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: Document;
  let operations: Documented[];

  beforeAll(async () => {
    // With a metrics token, /metrics needs credentials like the API does.
    t = await startTestApp({ env: { HERALD_METRICS_TOKEN: METRICS_TOKEN } });
    doc = (await t.request<Document>('GET', '/api/docs-json', { auth: false })).body;
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => {
        const security = op.security ?? doc.security ?? [];
        return {
          method: method.toUpperCase(),
          path,
          op,
          needsAuth: security.length > 0 && security.every((s) => Object.keys(s).length > 0),
          hasPathId: (op.parameters ?? []).some((p) => p.in === 'path'),
        };
      }),
    );
  });
  afterAll(async () => t.close());

  /** A JSON body holding the schema's required properties, from their examples. */
  function minimalBody(op: Operation): unknown {
    const schema = op.requestBody?.content['application/json']?.schema;
    if (!schema) return undefined;
    const resolved = schema.$ref ? doc.components.schemas[schema.$ref.split('/').pop()!] : schema;
    const body: Record<string, unknown> = {};
    for (const name of resolved.required ?? []) {
      const example = resolved.properties?.[name]?.example;
      expect(example, `${op.operationId}: give the required property ${name} an example`).toBeDefined();
      body[name] = example;
    }
    return body;
  }

  const documents = (op: Operation, status: number) => Object.keys(op.responses).includes(String(status));

  it('describes every route the API serves', async () => {
    const express = t.app.getHttpAdapter().getInstance() as { router: { stack: ExpressLayer[] } };
    // Routes answering every method are the framework's not-found handlers, not endpoints.
    const served = express.router.stack
      .map((layer) => layer.route)
      .filter((route) => route !== undefined && Object.keys(route.methods).length === 1)
      .filter((route) => !route!.path.startsWith('/api/docs'))
      .map((route) => `${Object.keys(route!.methods)[0].toUpperCase()} ${toOpenApiPath(route!.path)}`);
    expect(served).toEqual(
      expect.arrayContaining(['GET /api/v1/contacts/{id}', 'POST /api/v1/imports', 'GET /health']),
    );

    const documented = new Set(operations.map((o) => `${o.method} ${o.path}`));
    expect(served.filter((route) => !documented.has(route))).toEqual([]);
  });

  it('is the document npm run lint:openapi checks, written without Postgres or Redis', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herald-openapi-'));
    try {
      const target = join(dir, 'openapi.json');
      // Unreachable services: the script must not need them.
      await run(process.execPath, ['--import', './test/support/ts-loader/register.mjs', WRITE_OPENAPI, target], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1' },
      });
      expect(JSON.parse(await readFile(target, 'utf8'))).toEqual(doc);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // A second Node process compiling the app from source: slow on a busy machine.
  }, 120_000);

  it('answers 401 without credentials wherever it documents security, and documents every 4xx it gives then', async () => {
    expect(operations.filter((o) => o.needsAuth).length).toBeGreaterThan(30);
    const wrong: string[] = [];
    for (const { method, path, op, needsAuth } of operations) {
      const res = await t.request(method, withParams(path, '1'), { auth: false });
      if (needsAuth && res.status !== 401) wrong.push(`${method} ${path}: ${res.status}, not 401`);
      if (res.status >= 400 && res.status < 500 && !documents(op, res.status))
        wrong.push(`${method} ${path}: ${res.status} is not documented`);
    }
    expect(wrong).toEqual([]);
  });

  it('answers 404 for an unknown id and 400 for a malformed one, as documented, wherever a path names an id', async () => {
    const withId = operations.filter((o) => o.hasPathId && o.needsAuth);
    expect(withId.length).toBeGreaterThan(15);
    const wrong: string[] = [];
    for (const { method, path, op } of withId) {
      const body = minimalBody(op);
      const unknown = await t.request(method, withParams(path, UNKNOWN_ID), { body });
      if (unknown.status !== 404 || !documents(op, 404))
        wrong.push(`${method} ${path}: unknown id gave ${unknown.status}; documents 404: ${documents(op, 404)}`);
      const malformed = await t.request(method, withParams(path, 'not-an-id'), { body });
      if (malformed.status !== 400 || !documents(op, 400))
        wrong.push(`${method} ${path}: malformed id gave ${malformed.status}; documents 400: ${documents(op, 400)}`);
    }
    expect(wrong).toEqual([]);
  });

  it(`answers 400 for malformed JSON, 413 past ${JSON_BODY_LIMIT_MB} MB and 415 for another charset, as documented, wherever a JSON body is taken`, async () => {
    const withJson = operations.filter((o) => o.op.requestBody?.content['application/json']);
    expect(withJson.length).toBeGreaterThan(10);
    const oversized = JSON.stringify({ pad: 'x'.repeat(JSON_BODY_LIMIT_MB * 1024 * 1024) });
    const json = { 'content-type': 'application/json' };
    const wrong: string[] = [];
    for (const { method, path, op } of withJson) {
      const url = withParams(path, UNKNOWN_ID);
      const malformed = await t.request(method, url, { raw: '{"name": ', headers: json });
      if (malformed.status !== 400 || !documents(op, 400))
        wrong.push(`${method} ${path}: malformed JSON gave ${malformed.status}`);
      const large = await t.request(method, url, { raw: oversized, headers: json });
      if (large.status !== 413 || !documents(op, 413))
        wrong.push(`${method} ${path}: oversized JSON gave ${large.status}`);
      const latin1 = await t.request(method, url, {
        raw: '{}',
        headers: { 'content-type': 'application/json; charset=iso-8859-1' },
      });
      if (latin1.status !== 415 || !documents(op, 415))
        wrong.push(`${method} ${path}: a JSON body in ISO-8859-1 gave ${latin1.status}`);
    }
    expect(wrong).toEqual([]);
  });

  it('refuses cross-site cookie requests (403) and bodies of another type (415), as documented, on every unsafe method', async () => {
    const unsafe = operations.filter((o) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(o.method));
    expect(unsafe.length).toBeGreaterThan(20);
    const wrong: string[] = [];
    let refused = 0;
    for (const { method, path, op } of unsafe) {
      const url = withParams(path, UNKNOWN_ID);
      const forged = await t.request(method, url, {
        auth: false,
        headers: { cookie: `herald_session=${t.apiKey}`, origin: 'https://elsewhere.example' },
      });
      if (forged.status === 403) refused += 1;
      if ((forged.status === 403) !== documents(op, 403))
        wrong.push(
          `${method} ${path}: a cross-site request gave ${forged.status}; documents 403: ${documents(op, 403)}`,
        );
      const text = await t.request(method, url, { raw: 'hello', headers: { 'content-type': 'text/plain' } });
      if (text.status !== 415 || !documents(op, 415))
        wrong.push(`${method} ${path}: a text/plain body gave ${text.status}`);
    }
    expect(wrong).toEqual([]);
    expect(refused).toBeGreaterThan(20);
  });

  it('describes every 4xx answer with the shared error shape the API sends', async () => {
    const error = doc.components.schemas.Error;
    for (const { method, path, op } of operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (!/^4\d\d$/.test(status)) continue;
        // Pages recipients open (/t, /u, /w) answer a bad token with an HTML page, documented as such.
        if (/^\/[tuw]\//.test(path) && response.content?.['text/html'] !== undefined) continue;
        expect(response.content?.['application/json']?.schema, `${method} ${path} ${status}`).toEqual({
          $ref: '#/components/schemas/Error',
        });
      }
    }
    const res = await t.request<Record<string, unknown>>('PATCH', '/api/v1/contacts/1', { body: { email: 42 } });
    expect(res.status).toBe(400);
    for (const name of error.required ?? []) expect(res.body).toHaveProperty(name);
    expect(Object.keys(res.body).filter((name) => !(name in error.properties!))).toEqual([]);
    expect(res.body.fields).toEqual({ email: expect.any(String) });
  });

  it('gives every nullable or free-form property a type of its own', () => {
    // `name?: string | null` without `type: String` is documented as an object.
    const bare: string[] = [];
    for (const [schemaName, schema] of Object.entries(doc.components.schemas)) {
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        const shaped = property.properties ?? property.additionalProperties ?? property.oneOf ?? property.anyOf;
        if (property.type === 'object' && shaped === undefined && property.allOf === undefined)
          bare.push(`${schemaName}.${name}`);
      }
    }
    expect(bare).toEqual([]);
  });

  it('serves the interactive documentation at /api/docs', async () => {
    const page = await t.request('GET', '/api/docs', { auth: false });
    expect(page.status).toBe(200);
    expect(page.text).toContain('swagger');
  });
});
