import { Db, dataSourceOptions } from '@herald/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/databases.js';
import { nextAttemptDelay, retryAt } from './backoff.js';
import { Outbox } from './outbox.js';

let database: TestDatabase;
let dataSource: DataSource;
let db: Db;
let outbox: Outbox;
let senderId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  dataSource = new DataSource(dataSourceOptions(database.url, [], { size: 6, acquireTimeoutMs: 5000 }));
  await dataSource.initialize();
  db = new Db(dataSource);
  outbox = new Outbox(db);
  await db.execute(
    `INSERT INTO contacts (email, status) SELECT 'c' || g || '@example.com', CASE WHEN g % 10 = 0 THEN 'unsubscribed' ELSE 'subscribed' END
     FROM generate_series(1, 300) AS g`,
  );
  ({ id: senderId } = await db.one<{ id: string }>(
    `INSERT INTO senders (name, host, port, security, from_email, postal_address)
     VALUES ('s', 'smtp.example.com', 587, 'starttls', 'a@example.com', 'Street 1') RETURNING id`,
  ));
});

afterAll(async () => {
  await dataSource?.destroy();
  await database?.drop();
});

let campaignId: string;
beforeEach(async () => {
  ({ id: campaignId } = await db.one<{ id: string }>(`INSERT INTO campaigns (name) VALUES ('c') RETURNING id`));
});

const subscribed = { sql: `SELECT id, email FROM contacts WHERE status = $1`, params: ['subscribed'] };
const statusOf = async (id: string) =>
  (await db.one<{ status: string }>('SELECT status FROM messages WHERE id = $1', [id])).status;

describe('Outbox', () => {
  it('snapshots an audience once: a repeated snapshot inserts nothing', async () => {
    expect(await db.transaction((tx) => outbox.snapshot(tx, campaignId, subscribed))).toBe(270);
    expect(await db.transaction((tx) => outbox.snapshot(tx, campaignId, subscribed))).toBe(0);
    const ids = await db.transaction((tx) => outbox.addTests(tx, campaignId, ['t1@example.com', 't2@example.com']));
    expect(ids).toHaveLength(2);
    expect((await outbox.counts(campaignId)).queued).toBe(270);
    const tests = await db.rows<{ email: string }>('SELECT email FROM messages WHERE id = ANY($1) ORDER BY id', [ids]);
    expect(tests.map((t) => t.email)).toEqual(['t1@example.com', 't2@example.com']);
  });

  it('never gives the same row to two concurrent claimers', async () => {
    await db.transaction((tx) => outbox.snapshot(tx, campaignId, subscribed));
    const claimed: string[] = [];
    const claimer = async () => {
      for (;;) {
        const batch = await outbox.claim(campaignId, 7);
        if (batch.length === 0) return;
        claimed.push(...batch.map((m) => m.id));
      }
    };
    await Promise.all([claimer(), claimer(), claimer(), claimer()]);
    expect(claimed).toHaveLength(270);
    expect(new Set(claimed).size).toBe(270);
    expect((await outbox.counts(campaignId)).sending).toBe(270);
  });

  it('claims in id order with the attempt counted, and changes only rows still sending', async () => {
    await db.transaction((tx) => outbox.snapshot(tx, campaignId, subscribed));
    const [a, b, c, d, e, f] = await outbox.claim(campaignId, 6);
    expect(BigInt(a.id) < BigInt(b.id)).toBe(true);
    expect(a).toMatchObject({ attempts: 1, isTest: false, email: expect.stringMatching(/@example\.com$/) });
    expect(a.createdAt).toBeInstanceOf(Date);

    expect(await outbox.markSent(a.id, senderId, '250 ok')).toBe(true);
    expect(await outbox.markSent(a.id, senderId, '250 again')).toBe(false);
    expect(await outbox.markBounced(a.id, senderId, '550')).toBe(false);
    expect(await statusOf(a.id)).toBe('sent');

    const later = new Date(Date.now() + 60_000);
    expect(await outbox.markDeferred(b.id, null, '451 later', later)).toBe(true);
    expect(await outbox.markDeferred(b.id, null, '451 later', later)).toBe(false);
    expect(await outbox.markBounced(c.id, senderId, '550 no such user')).toBe(true);
    expect(await outbox.markUncertain(d.id, senderId, 'connection lost after data')).toBe(true);
    expect(await outbox.markFailed(e.id, 'deferred too long')).toBe(true);
    expect(await outbox.markFailed(e.id, 'again')).toBe(false);
    expect(await outbox.markSkipped([f.id, a.id], 'suppressed')).toBe(1);
    expect(await outbox.release([f.id])).toBe(0);

    const counts = await outbox.counts(campaignId);
    expect(counts).toMatchObject({
      sent: 1,
      deferred: 1,
      bounced: 1,
      uncertain: 1,
      failed: 1,
      skipped: 1,
      reclaimed: 0,
    });
    expect(counts.queued).toBe(264);
    // A deferred row is not claimed again before it is due.
    const rest = await outbox.claim(campaignId, 1000);
    expect(rest.map((m) => m.id)).not.toContain(b.id);
    expect(rest).toHaveLength(264);
    expect(await outbox.sentSince(senderId, new Date(Date.now() - 60_000))).toBeGreaterThanOrEqual(2);
  });

  it('releases unattempted rows and takes their attempt back', async () => {
    await db.transaction((tx) => outbox.snapshot(tx, campaignId, subscribed));
    const batch = await outbox.claim(campaignId, 5);
    expect(await outbox.release(batch.map((m) => m.id))).toBe(5);
    const again = await outbox.claim(campaignId, 5);
    expect(again.map((m) => m.id)).toEqual(batch.map((m) => m.id));
    expect(again.every((m) => m.attempts === 1)).toBe(true);
  });

  it('reclaims rows a dead worker left sending, counting them as possible duplicates', async () => {
    await db.transaction((tx) => outbox.snapshot(tx, campaignId, subscribed));
    const batch = await outbox.claim(campaignId, 3);
    expect(await outbox.reclaimStale(campaignId, 60_000)).toBe(0);
    await db.execute(`UPDATE messages SET claimed_at = now() - interval '10 minutes' WHERE id = ANY($1)`, [
      batch.map((m) => m.id),
    ]);
    expect(await outbox.reclaimStale(campaignId, 60_000)).toBe(3);
    const rows = await db.rows<{ status: string; reclaimed: number }>(
      'SELECT status, reclaimed FROM messages WHERE id = ANY($1)',
      [batch.map((m) => m.id)],
    );
    expect(rows).toEqual(Array(3).fill({ status: 'queued', reclaimed: 1 }));
    expect((await outbox.counts(campaignId)).reclaimed).toBe(3);
    // The late worker's outcome no longer applies.
    expect(await outbox.markSent(batch[0].id, senderId, '250')).toBe(false);
  });

  it('keeps counts by status and domain equal to the rows themselves, through every kind of change', async () => {
    const scan = async (id: string) => {
      const byStatus = await db.rows<{ status: string; n: number; reclaimed: number }>(
        `SELECT status, count(*)::int AS n, count(*) FILTER (WHERE reclaimed > 0)::int AS reclaimed
         FROM messages WHERE campaign_id = $1 AND NOT is_test GROUP BY status`,
        [id],
      );
      const counts: Record<string, number> = { reclaimed: 0 };
      for (const s of ['queued', 'sending', 'sent', 'deferred', 'failed', 'bounced', 'uncertain', 'skipped'])
        counts[s] = 0;
      for (const r of byStatus) {
        counts[r.status] = r.n;
        counts.reclaimed += r.reclaimed;
      }
      const domains = await db.rows(
        `SELECT lower(split_part(email, '@', 2)) AS domain, count(*) FILTER (WHERE status = 'sent')::int AS delivered,
           count(*) FILTER (WHERE status = 'bounced')::int AS bounced, count(*) FILTER (WHERE status = 'failed')::int AS failed
         FROM messages WHERE campaign_id = $1 AND NOT is_test AND status IN ('sent', 'bounced', 'failed')
         GROUP BY 1 ORDER BY delivered DESC, 1`,
        [id],
      );
      return { counts, domains };
    };
    const counted = async (id: string) => ({
      counts: await outbox.counts(id),
      domains: await outbox.countsByDomain(id, 50),
    });
    await db.execute(`UPDATE contacts SET email = 'C' || id || '@Other.Example' WHERE id % 7 = 0`, []);
    await db.transaction((tx) => outbox.snapshot(tx, campaignId, subscribed));
    await db.transaction((tx) => outbox.addTests(tx, campaignId, ['t@example.com']));
    expect((await counted(campaignId)).counts).toMatchObject({ queued: 270, sent: 0 });

    // Claims from two connections at once, each outcome, releases, reclaims, a cancel and an erased contact.
    const [first, second] = await Promise.all([outbox.claim(campaignId, 60), outbox.claim(campaignId, 60)]);
    const claimed = [...first, ...second];
    for (const [i, m] of claimed.entries()) {
      if (i % 6 === 0) await outbox.markSent(m.id, senderId, '250');
      if (i % 6 === 1) await outbox.markBounced(m.id, senderId, '550');
      if (i % 6 === 2) await outbox.markFailed(m.id, 'too old');
      if (i % 6 === 3) await outbox.markDeferred(m.id, senderId, '451', new Date(Date.now() - 1000));
      if (i % 6 === 4) await outbox.markUncertain(m.id, senderId, 'lost');
    }
    await Promise.all(claimed.filter((_, i) => i % 24 === 5).map((m) => outbox.markSent(m.id, senderId, '250')));
    // Many at once, with a row already sent among them: that one is not applied twice.
    const many = claimed.filter((_, i) => i % 24 === 17 || i === 0);
    const applied = await outbox.markSentMany(many.map((m) => ({ id: m.id, senderId, reply: '250 many' })));
    expect([...applied].sort()).toEqual(
      many
        .filter((m) => m !== claimed[0])
        .map((m) => m.id)
        .sort(),
    );
    await outbox.release(claimed.filter((_, i) => i % 12 === 11).map((m) => m.id));
    const stale = await outbox.claim(campaignId, 30);
    await db.execute(`UPDATE messages SET claimed_at = now() - interval '1 hour' WHERE id = ANY($1)`, [
      stale.map((m) => m.id),
    ]);
    await outbox.reclaimStale(campaignId, 60_000);
    await outbox.markSkipped(
      (await outbox.claim(campaignId, 10)).map((m) => m.id),
      'suppressed',
    );
    await db.execute(
      `DELETE FROM contacts WHERE id IN (SELECT contact_id FROM messages WHERE campaign_id = $1 LIMIT 5)`,
      [campaignId],
    );
    // Bounces reported after acceptance (delivery status notifications), one of them twice.
    const accepted = await db.rows<{ id: string }>(
      `SELECT id FROM messages WHERE campaign_id = $1 AND status IN ('sent', 'uncertain') AND NOT is_test ORDER BY id LIMIT 12`,
      [campaignId],
    );
    for (const { id } of accepted.filter((_, i) => i % 2 === 0)) {
      expect(await db.transaction((tx) => outbox.markBouncedAfterSent(tx, id, '5.1.1'))).toMatchObject({ id });
    }
    expect(await db.transaction((tx) => outbox.markBouncedAfterSent(tx, accepted[0].id, '5.1.1'))).toBeUndefined();
    expect(await statusOf(accepted[0].id)).toBe('bounced');
    const midway = await counted(campaignId);
    expect(midway.counts.sent).toBeGreaterThan(0);
    expect(midway.counts.reclaimed).toBe(30);
    expect(midway).toEqual(await scan(campaignId));
    expect(midway.domains.map((d) => d.domain)).toEqual(['example.com', 'other.example']);

    await outbox.skipUnsent(campaignId, 'cancelled');
    expect(await counted(campaignId)).toEqual(await scan(campaignId));

    // Deleting the campaign takes its messages and leaves no counter rows behind.
    await db.execute(`DELETE FROM campaigns WHERE id = $1`, [campaignId]);
    expect(await db.rows(`SELECT * FROM message_counts WHERE campaign_id = $1`, [campaignId])).toEqual([]);
    expect(await db.rows(`SELECT * FROM message_domain_counts WHERE campaign_id = $1`, [campaignId])).toEqual([]);
  });

  it('tells when the next row is due', async () => {
    expect(await outbox.nextAttemptAt(campaignId)).toBeNull();
    await db.transaction((tx) => outbox.snapshot(tx, campaignId, subscribed));
    const [m] = await outbox.claim(campaignId, 1);
    await db.execute(`UPDATE messages SET status = 'sent' WHERE campaign_id = $1 AND id <> $2`, [campaignId, m.id]);
    const at = new Date(Date.now() + 3_600_000);
    await outbox.markDeferred(m.id, senderId, '421', at);
    expect((await outbox.nextAttemptAt(campaignId))?.getTime()).toBe(at.getTime());
  });
});

describe('backoff', () => {
  it('doubles from one minute to one hour, with jitter within ±20 %', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5, 6, 7, 8, 30].map((n) => nextAttemptDelay(n, mid) / 60_000)).toEqual([
      1, 2, 4, 8, 16, 32, 60, 60, 60,
    ]);
    expect(nextAttemptDelay(1, () => 0)).toBe(48_000);
    expect(nextAttemptDelay(1, () => 1)).toBe(72_000);
    expect(nextAttemptDelay(7, () => 1)).toBe(3_600_000);
  });

  it('gives up once the message would be older than the maximum age', () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    const young = { attempts: 3, createdAt: new Date(now - 3_600_000) };
    expect(retryAt(young, now, 24, () => 0.5)?.getTime()).toBe(now + 4 * 60_000);
    const old = { attempts: 9, createdAt: new Date(now - 23.5 * 3_600_000) };
    expect(retryAt(old, now, 24, () => 0.5)).toBeNull();
  });
});
