import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from './config.js';

function problems(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('gives every variable its default when the environment is empty', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/herald',
      REDIS_URL: 'redis://127.0.0.1:6379',
      HERALD_MIGRATE_ON_START: true,
    });
    expect(config.HERALD_SECRET).toBeUndefined();
  });

  it('accepts the connection URLs operators write', () => {
    for (const DATABASE_URL of [
      'postgresql://app:p%40ss@db.example.com:6432/herald?sslmode=require',
      'postgres:///herald?host=/var/run/postgresql',
    ]) {
      expect(loadConfig({ DATABASE_URL }).DATABASE_URL).toBe(DATABASE_URL);
    }
    expect(loadConfig({ REDIS_URL: 'rediss://:pw@cache.example.com:6380/2' }).REDIS_URL).toBe(
      'rediss://:pw@cache.example.com:6380/2',
    );
  });

  it('rejects a malformed connection URL by name, without echoing its password', () => {
    const message = problems({
      DATABASE_URL: 'postgres://herald:hunter2-secret@db:port/herald',
      REDIS_URL: 'redis://:other-secret@cache:port',
    });
    expect(message).toMatch(/DATABASE_URL: expected a URL/);
    expect(message).toMatch(/REDIS_URL: expected a URL/);
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('other-secret');
  });

  it('rejects a URL of the wrong kind', () => {
    expect(problems({ DATABASE_URL: 'mysql://root@127.0.0.1/herald' })).toContain('DATABASE_URL');
    expect(problems({ REDIS_URL: 'http://127.0.0.1:6379' })).toContain('REDIS_URL');
    // Links in mail are built on PUBLIC_URL: only http(s) makes sense there.
    expect(problems({ PUBLIC_URL: 'javascript:alert(1)' })).toContain('PUBLIC_URL');
  });

  it('names every bad variable at once', () => {
    const message = problems({ PORT: '70000', HERALD_SECRET: 'short', HERALD_MIGRATE_ON_START: 'maybe' });
    for (const name of ['PORT', 'HERALD_SECRET', 'HERALD_MIGRATE_ON_START']) expect(message).toContain(name);
  });
});

describe('describeConfig', () => {
  it('masks secrets and shows the rest', () => {
    const shown = describeConfig(
      loadConfig({ DATABASE_URL: 'postgres://app:pw-123@db/herald', HERALD_SECRET: 's'.repeat(40) }),
    );
    expect(shown.DATABASE_URL).toBe('(secret)');
    expect(shown.HERALD_SECRET).toBe('(secret)');
    expect(shown.HERALD_METRICS_TOKEN).toBe('(unset)');
    expect(shown.PORT).toBe('3000');
    expect(JSON.stringify(shown)).not.toContain('pw-123');
  });
});
