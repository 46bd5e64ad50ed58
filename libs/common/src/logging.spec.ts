import pg from 'pg';
import { pino, type LoggerOptions } from 'pino';
import { DataSource, QueryFailedError } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { loggerParams, serializeError } from './logging.js';

const TEST_DATABASE = process.env.HERALD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

describe('serializeError', () => {
  it('keeps code, constraint and frames of a failed statement, and none of its values', async () => {
    const dataSource = new DataSource({ type: 'postgres', url: TEST_DATABASE });
    await dataSource.initialize();
    let failure: unknown;
    try {
      await dataSource.query('SELECT $1::uuid AS id', ['jane.doe@example.com']);
    } catch (error) {
      failure = error;
    } finally {
      await dataSource.destroy();
    }
    expect(failure).toBeInstanceOf(QueryFailedError);
    const logged = serializeError(failure) as Record<string, unknown>;
    expect(logged).toMatchObject({
      type: 'QueryFailedError',
      code: '22P02',
      message: 'invalid input syntax for type uuid: "…"',
    });
    expect(logged.stack).toMatch(/^QueryFailedError: invalid input syntax for type uuid: "…"\n {4}at /);
    expect(JSON.stringify(logged)).not.toContain('jane.doe');
    expect(Object.keys(logged)).not.toEqual(expect.arrayContaining(['query']));
  });

  it('drops the detail pg puts the failing row in, and keeps an ordinary error whole', async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE });
    await client.connect();
    const failure = await client
      .query(`CREATE TEMP TABLE t (email text UNIQUE); INSERT INTO t VALUES ('a@example.com'), ('a@example.com')`)
      .catch((error: unknown) => error);
    await client.end();
    const logged = serializeError(failure) as Record<string, unknown>;
    expect(logged).toMatchObject({ code: '23505', constraint: 't_email_key', table: 't' });
    expect(JSON.stringify(logged)).not.toContain('a@example.com');

    const plain = serializeError(new Error('boom', { cause: new TypeError('inner') }));
    expect(plain).toMatchObject({ type: 'Error', message: 'boom', cause: { type: 'TypeError', message: 'inner' } });
    expect(serializeError('not an error')).toBe('not an error');
  });
});

describe('loggerParams', () => {
  const options = (tty: boolean) => {
    const { pinoHttp } = loggerParams({ LOG_LEVEL: 'info' }, { tty });
    return pinoHttp as Record<string, unknown>;
  };

  it('pretty-prints on a terminal and writes JSON lines otherwise', () => {
    expect(options(true).transport).toMatchObject({ target: 'pino-pretty' });
    expect(options(false).transport).toBeUndefined();
  });

  it('sends lines to a given destination as JSON, terminal or not', () => {
    const destination = { write: () => undefined };
    const { pinoHttp } = loggerParams({ LOG_LEVEL: 'info' }, { tty: true, destination });
    expect(pinoHttp).toEqual([expect.not.objectContaining({ transport: expect.anything() }), destination]);
  });
});

describe('redaction', () => {
  it('masks passwords and private keys wherever a logged object carries them', () => {
    const lines: string[] = [];
    const { pinoHttp } = loggerParams({ LOG_LEVEL: 'info' }, { tty: false });
    const logger = pino(pinoHttp as LoggerOptions, { write: (line: string) => lines.push(line) });
    logger.info({ password: 'pw-top', input: { password: 'pw-nested', dkimPrivateKey: 'pem-nested' } }, 'x');
    logger.info({ sender: { auth: { user: 'mailer', pass: 'pw-auth' } } }, 'y');
    const text = lines.join('');
    for (const secret of ['pw-top', 'pw-nested', 'pem-nested', 'pw-auth']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
    expect(text).toContain('mailer');
  });
});
