import { randomBytes } from 'node:crypto';
import { Clock, Db, dataSourceOptions, loadConfig } from '@herald/common';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/databases.js';
import { deleteKeys, testRedisUrl } from '../../../../test/support/redis-keys.js';
import { Outbox } from '../messages/outbox.js';
import type { SendingSender } from '../senders/sender.js';
import { localDate, nextLocalMidnight, startOfLocalToday } from './local-day.js';
import { Throttle } from './throttle.js';

const prefix = `herald-test-${process.env.HERALD_TEST_RUN ?? process.pid}-${randomBytes(5).toString('hex')}`;
const config = loadConfig({ HERALD_QUEUE_PREFIX: prefix });

let database: TestDatabase;
let dataSource: DataSource;
let db: Db;
const clients: Redis[] = [];

/** A Throttle of its own process: its own Redis connection and clock. */
function throttleProcess(clock = new Clock()): Throttle {
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
  clients.push(redis);
  return new Throttle(redis, config, clock, new Outbox(db));
}

const sender = (over: Partial<SendingSender> = {}): SendingSender => ({
  id: String(1000 + Math.floor(Math.random() * 1e6)),
  kind: 'smtp',
  name: 's',
  host: 'smtp.example.com',
  port: 587,
  security: 'starttls',
  username: null,
  password: null,
  fromEmail: 'a@example.com',
  fromName: null,
  replyTo: null,
  postalAddress: 'Street 1',
  ratePerSecond: 20,
  dailyLimit: null,
  timeZone: 'UTC',
  poolSize: 2,
  dkim: null,
  disabledReason: null,
  ...over,
});

beforeAll(async () => {
  database = await createTestDatabase();
  dataSource = new DataSource(dataSourceOptions(database.url, [], { size: 3, acquireTimeoutMs: 5000 }));
  await dataSource.initialize();
  db = new Db(dataSource);
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await deleteKeys(`${prefix}:*`);
  await dataSource?.destroy();
  await database?.drop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

describe('Throttle', () => {
  it('holds the rate across processes: no sliding second holds more than 10 % over it', async () => {
    const s = sender({ ratePerSecond: 20 });
    const slots: number[] = [];
    const reserver = async (throttle: Throttle, batch: number) => {
      const until = Date.now() + 3000;
      while (Date.now() < until) {
        const r = await throttle.reserve(s, batch);
        if (r.kind !== 'granted') throw new Error('no daily limit was set');
        for (let i = 0; i < r.count; i += 1) slots.push(r.startAt + i * r.spacingMs);
        // Like a sender: the next batch is asked for when this one's last slot is near.
        await sleep(r.startAt + (r.count - 1) * r.spacingMs - Date.now());
      }
    };
    await Promise.all([reserver(throttleProcess(), 5), reserver(throttleProcess(), 3)]);
    slots.sort((a, b) => a - b);
    expect(slots.length).toBeGreaterThanOrEqual(45);
    let busiest = 0;
    for (let i = 0, j = 0; i < slots.length; i += 1) {
      while (slots[i] - slots[j] >= 1000) j += 1;
      busiest = Math.max(busiest, i - j + 1);
    }
    expect(busiest).toBeLessThanOrEqual(22);
    expect(busiest).toBeGreaterThanOrEqual(16);
    // Slots are spread, never stacked: consecutive ones are a full spacing apart.
    for (let i = 1; i < slots.length; i += 1) expect(slots[i] - slots[i - 1]).toBeGreaterThanOrEqual(49.999);
  });

  it('spends the daily quota, then waits for the next local midnight, DST included', async () => {
    const clock = new Clock();
    const throttle = throttleProcess(clock);
    // 28 March 2026, 13:00 in Berlin (CET, UTC+1); the clocks go forward that night.
    clock.set(Date.parse('2026-03-28T12:00:00Z'));
    const s = sender({ dailyLimit: 5, timeZone: 'Europe/Berlin', ratePerSecond: 1000 });
    expect(await throttle.remainingToday(s)).toBe(5);
    const first = await throttle.reserve(s, 3);
    expect(first).toMatchObject({ kind: 'granted', count: 3 });
    const second = await throttle.reserve(s, 3);
    expect(second).toMatchObject({ kind: 'granted', count: 2 });
    expect(await throttle.remainingToday(s)).toBe(0);
    const sixth = await throttle.reserve(s, 1);
    expect(sixth).toEqual({ kind: 'quota_exhausted', resumesAt: new Date('2026-03-28T23:00:00Z') });

    await throttle.refund(s, 1);
    expect(await throttle.reserve(s, 4)).toMatchObject({ kind: 'granted', count: 1 });

    clock.set(Date.parse('2026-03-28T22:59:59Z'));
    expect(await throttle.reserve(s, 1)).toMatchObject({ kind: 'quota_exhausted' });
    clock.set(Date.parse('2026-03-28T23:00:01Z'));
    expect(await throttle.reserve(s, 2)).toMatchObject({ kind: 'granted', count: 2 });
    expect(await throttle.reserve(s, 9)).toMatchObject({ kind: 'granted', count: 3 });
    // Summer time now (UTC+2): the next midnight is at 22:00 UTC.
    expect(await throttle.reserve(s, 1)).toEqual({
      kind: 'quota_exhausted',
      resumesAt: new Date('2026-03-29T22:00:00Z'),
    });
  });

  it('rebuilds a lost day counter from the messages the sender handed over since local midnight', async () => {
    const { id: senderId } = await db.one<{ id: string }>(
      `INSERT INTO senders (name, host, port, security, from_email, postal_address)
       VALUES ('s', 'smtp.example.com', 587, 'starttls', 'a@example.com', 'Street 1') RETURNING id`,
    );
    const s = sender({ id: senderId, dailyLimit: 10, timeZone: 'Pacific/Auckland' });
    const midnight = startOfLocalToday(Date.now(), s.timeZone);
    // 4 handed over today (3 sent, 1 uncertain), 2 before local midnight that do not count.
    await db.execute(
      `INSERT INTO messages (email, status, sender_id, sent_at)
       SELECT 'r' || g || '@example.com', CASE WHEN g = 1 THEN 'uncertain' ELSE 'sent' END, $1,
              CASE WHEN g <= 4 THEN $2::timestamptz + interval '1 second' ELSE $2::timestamptz - interval '1 hour' END
       FROM generate_series(1, 6) AS g`,
      [senderId, midnight],
    );
    const throttle = throttleProcess();
    expect(await throttle.reserve(s, 2)).toMatchObject({ kind: 'granted', count: 2 });
    expect(await throttle.remainingToday(s)).toBe(4);

    // Redis flushed: the counter comes back from Postgres (4 handed over), not from zero.
    expect(await deleteKeys(`${prefix}:throttle:{${senderId}}:*`)).toHaveLength(2);
    expect(await throttle.remainingToday(s)).toBe(6);
    await deleteKeys(`${prefix}:throttle:{${senderId}}:*`);
    expect(await throttle.reserve(s, 100)).toMatchObject({ kind: 'granted', count: 6 });
    expect(await throttle.reserve(s, 1)).toMatchObject({ kind: 'quota_exhausted' });
  });

  it('slows a sender down for a while after 421/454, then returns to its rate', async () => {
    const throttle = throttleProcess();
    const s = sender({ ratePerSecond: 100 });
    expect(await throttle.reserve(s, 1)).toMatchObject({ spacingMs: 10 });
    await throttle.slowDown(s.id, 4, 200);
    expect(await throttle.reserve(s, 1)).toMatchObject({ spacingMs: 40 });
    await sleep(250);
    expect(await throttle.reserve(s, 1)).toMatchObject({ spacingMs: 10 });
    expect(await throttle.remainingToday(s)).toBeNull();
  });
});

describe('local days', () => {
  it('finds local dates and midnights with DST changes and skipped midnights', () => {
    expect(localDate(Date.parse('2026-03-28T23:30:00Z'), 'Europe/Berlin')).toBe('2026-03-29');
    expect(nextLocalMidnight(Date.parse('2026-10-24T12:00:00Z'), 'Europe/Berlin').toISOString()).toBe(
      '2026-10-24T22:00:00.000Z',
    );
    expect(nextLocalMidnight(Date.parse('2026-10-25T12:00:00Z'), 'Europe/Berlin').toISOString()).toBe(
      '2026-10-25T23:00:00.000Z',
    );
    expect(startOfLocalToday(Date.parse('2026-01-01T05:00:00Z'), 'America/New_York').toISOString()).toBe(
      '2026-01-01T05:00:00.000Z',
    );
    // Havana moves its clocks from 00:00 to 01:00 on 8 March 2026: that day starts at 01:00 local (05:00 UTC).
    const havana = nextLocalMidnight(Date.parse('2026-03-07T12:00:00Z'), 'America/Havana');
    expect(localDate(havana.getTime(), 'America/Havana')).toBe('2026-03-08');
    expect(localDate(havana.getTime() - 1, 'America/Havana')).toBe('2026-03-07');
    expect(nextLocalMidnight(Date.parse('2026-12-31T23:00:00Z'), 'Asia/Kolkata').toISOString()).toBe(
      '2027-01-01T18:30:00.000Z',
    );
  });
});
