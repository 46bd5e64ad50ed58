import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

/**
 * What reaches the log, read from the logger's own output: one short line per
 * request, and errors without the values of the statement that failed.
 */
describe('logs', () => {
  let t: TestApp;
  const lines: string[] = [];
  const logged = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const accessLine = (route: string) => logged().find((l) => l.route === route && 'status' in l);

  beforeAll(async () => {
    t = await startTestApp({ env: { LOG_LEVEL: 'info' }, logDestination: { write: (line) => lines.push(line) } });
  });
  afterAll(async () => t.close());

  it('writes one JSON access line per request: request id, method, route pattern, status, duration', async () => {
    lines.length = 0;
    const res = await t.request('GET', '/api/v1/contacts?q=jane.private%40example.com&limit=5', {
      headers: { 'x-request-id': 'trace-4711', 'user-agent': 'SecretAgent/1.0', cookie: 'herald_session=s3cret' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('trace-4711');
    await expect.poll(() => accessLine('/api/v1/contacts')).toBeDefined();
    const line = accessLine('/api/v1/contacts')!;
    expect(Object.keys(line).sort()).toEqual(
      ['durationMs', 'hostname', 'level', 'method', 'msg', 'pid', 'reqId', 'route', 'status', 'time'].sort(),
    );
    expect(line).toMatchObject({ level: 30, reqId: 'trace-4711', method: 'GET', status: 200 });
    expect(line.durationMs).toEqual(expect.any(Number));
    const text = lines.join('');
    for (const secret of ['jane.private', 'SecretAgent', 's3cret', t.apiKey, 'limit=5']) {
      expect(text, secret).not.toContain(secret);
    }
  });

  it('writes exactly one access line per request, inside /api/v1 and on the routes outside it', async () => {
    for (const path of ['/api/v1/contacts', '/metrics', '/u/AAAAAAAAAAAAAAAAAAAAAA', '/lists']) {
      lines.length = 0;
      const res = await t.request('GET', path, { headers: { 'x-request-id': 'one-line' } });
      expect(res.headers.get('x-request-id'), path).toBe('one-line');
      await expect
        .poll(() => logged().filter((l) => l.reqId === 'one-line' && 'status' in l).length)
        .toBeGreaterThan(0);
      // A second copy would be written right after the first.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(logged().filter((l) => l.reqId === 'one-line' && 'status' in l).length, path).toBe(1);
    }
  });

  it('names the route by its pattern, gives each request an id of its own, and refuses odd ids', async () => {
    lines.length = 0;
    const res = await t.request('GET', '/api/v1/lists/987654', { headers: { 'x-request-id': 'bad id <script>' } });
    expect(res.status).toBe(404);
    await expect.poll(() => accessLine('/api/v1/lists/:id')).toBeDefined();
    const line = accessLine('/api/v1/lists/:id')!;
    expect(line).toMatchObject({ method: 'GET', status: 404, level: 30 });
    expect(line.reqId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-request-id')).toBe(line.reqId);
    expect(lines.join('')).not.toContain('987654');
  });

  it('logs requests refused before routing too: hostile or malformed bodies', async () => {
    lines.length = 0;
    const hostile = await t.request('POST', '/api/v1/lists', {
      body: { name: 'jane\u0000' },
      headers: { 'x-request-id': 'refused-1' },
    });
    const malformed = await t.request('POST', '/api/v1/lists', {
      raw: '{"name": "jane@',
      headers: { 'content-type': 'application/json' },
    });
    expect([hostile.status, malformed.status]).toEqual([400, 400]);
    await expect.poll(() => logged().filter((l) => l.status === 400).length).toBe(2);
    const [first, second] = logged().filter((l) => l.status === 400);
    expect(first).toMatchObject({ level: 30, reqId: 'refused-1', method: 'POST', route: '(no route)' });
    expect(second!.reqId).toBe(malformed.headers.get('x-request-id'));
    expect(lines.join('')).not.toContain('jane');
  });

  it('logs a failed statement with its code and constraint, never its parameters', async () => {
    await t.db.query(`ALTER TABLE lists ADD CONSTRAINT no_probe CHECK (name NOT LIKE 'probe-%')`);
    await t.db.query(`ALTER TABLE api_keys ADD CONSTRAINT no_probe_key CHECK (name NOT LIKE 'probe-%')`);
    try {
      lines.length = 0;
      const list = await t.request('POST', '/api/v1/lists', { body: { name: 'probe-jane.doe@example.com' } });
      const key = await t.request('POST', '/api/v1/api-keys', { body: { name: 'probe-key-name' } });
      expect([list.status, key.status]).toEqual([500, 500]);
      await expect.poll(() => logged().filter((l) => l.errorId).length).toBe(2);
      const errors = logged().filter((l) => l.errorId);
      expect(errors.map((l) => (l.err as Record<string, unknown>).constraint)).toEqual(['no_probe', 'no_probe_key']);
      expect(errors[0]).toMatchObject({ level: 50, errorId: list.body.errorId, err: { code: '23514' } });
      expect(errors[0]!.reqId).toEqual(expect.any(String));
      const text = lines.join('\n');
      expect(text).not.toContain('jane.doe');
      expect(text).not.toContain('probe-key-name');
      expect(text).not.toMatch(/[0-9a-f]{64}/); // the key's hash
      expect(text).not.toMatch(/"(parameters|query|detail)"/);
    } finally {
      await t.db.query('ALTER TABLE lists DROP CONSTRAINT no_probe');
      await t.db.query('ALTER TABLE api_keys DROP CONSTRAINT no_probe_key');
    }
  });
});
