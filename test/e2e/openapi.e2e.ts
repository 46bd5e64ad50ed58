import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

interface ExpressLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** `/contacts/:id` (Express) is `/contacts/{id}` in OpenAPI. */
const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

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

    const doc = await t.request<{ paths: Record<string, Record<string, unknown>> }>('GET', '/api/docs-json', {
      auth: false,
    });
    const documented = new Set(
      Object.entries(doc.body.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    expect(served.filter((route) => !documented.has(route))).toEqual([]);
  });

  it('serves the interactive documentation at /api/docs', async () => {
    const page = await t.request('GET', '/api/docs', { auth: false });
    expect(page.status).toBe(200);
    expect(page.text).toContain('swagger');
  });
});
