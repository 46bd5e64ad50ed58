import { randomBytes } from 'node:crypto';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { deleteKeys, testRedisUrl } from '../../../test/support/redis-keys.js';
import { enqueueAllOnce, enqueueOnce, type JobPayloads } from './jobs.js';

const prefix = `herald-test-${process.env.HERALD_TEST_RUN ?? process.pid}-${randomBytes(5).toString('hex')}`;
const connection = { url: testRedisUrl() };
const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
const queues: Queue[] = [];
const workers: Worker[] = [];
let queue: Queue;

/** A worker that runs nothing by itself: the test takes jobs, which locks them as a running worker does. */
function takingWorker(): Worker {
  const worker = new Worker(queue.name, null, { connection, prefix });
  workers.push(worker);
  return worker;
}

const data = async (jobId: string): Promise<JobPayloads['import.run'] | undefined> =>
  ((await queue.getJob(jobId)) as Job<JobPayloads['import.run']> | undefined)?.data;

beforeEach(() => {
  // A queue per test: each starts with empty lists.
  queue = new Queue(`jobs-${queues.length}`, { connection, prefix });
  queues.push(queue);
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  await Promise.all(queues.map((q) => q.close()));
  await deleteKeys(`${prefix}:*`);
  await redis.quit();
});

describe('enqueueOnce', () => {
  it('adds a job once: adding its id again while it waits leaves that job as it is', async () => {
    await enqueueOnce(queue, 'import.run', { importId: 'first' }, 'import-1');
    await enqueueOnce(queue, 'import.run', { importId: 'second' }, 'import-1');
    expect(await redis.lrange(queue.toKey('wait'), 0, -1)).toEqual(['import-1']);
    expect(await data('import-1')).toEqual({ importId: 'first' });
  });

  it('leaves a delayed job as it is', async () => {
    await enqueueOnce(queue, 'import.run', { importId: 'first' }, 'import-1', 60_000);
    await enqueueOnce(queue, 'import.run', { importId: 'second' }, 'import-1');
    expect(await queue.getJobState('import-1')).toBe('delayed');
    expect(await redis.zrange(queue.toKey('delayed'), 0, -1)).toEqual(['import-1']);
    expect(await data('import-1')).toEqual({ importId: 'first' });
  });

  it('never removes a job a worker runs, even one whose entry in the active list Redis lost', async () => {
    await enqueueOnce(queue, 'import.run', { importId: 'first' }, 'import-1');
    const taken = await takingWorker().getNextJob('token-1');
    expect(taken?.id).toBe('import-1');
    await enqueueOnce(queue, 'import.run', { importId: 'second' }, 'import-1');
    expect(await queue.getJobState('import-1')).toBe('active');
    expect(await data('import-1')).toEqual({ importId: 'first' });

    // Its worker still holds the lock: the job runs, so it is not added beside itself.
    await redis.lrem(queue.toKey('active'), 0, 'import-1');
    await enqueueOnce(queue, 'import.run', { importId: 'second' }, 'import-1');
    expect(await redis.llen(queue.toKey('wait'))).toBe(0);
    expect(await data('import-1')).toEqual({ importId: 'first' });
  });

  it('adds again a job whose data Redis kept after losing its entry in the wait list', async () => {
    await enqueueOnce(queue, 'import.run', { importId: 'first' }, 'import-1');
    // What key eviction or a partial restore can leave: the job's hash, and no list pointing to it.
    await redis.lrem(queue.toKey('wait'), 0, 'import-1');
    expect(await redis.exists(queue.toKey('import-1'))).toBe(1);
    expect(await queue.getJobState('import-1')).toBe('unknown');

    await enqueueOnce(queue, 'import.run', { importId: 'second' }, 'import-1');
    expect(await queue.getJobState('import-1')).toBe('waiting');
    expect(await redis.lrange(queue.toKey('wait'), 0, -1)).toEqual(['import-1']);
    expect(await data('import-1')).toEqual({ importId: 'second' });
    const job = await takingWorker().getNextJob('token-1');
    expect(job?.data).toEqual({ importId: 'second' });
  });

  it('adds again a job whose data Redis kept after losing its entry in the delayed set', async () => {
    await enqueueOnce(queue, 'import.run', { importId: 'first' }, 'import-1', 60_000);
    await redis.zrem(queue.toKey('delayed'), 'import-1');
    expect(await queue.getJobState('import-1')).toBe('unknown');

    await enqueueOnce(queue, 'import.run', { importId: 'second' }, 'import-1', 60_000);
    expect(await queue.getJobState('import-1')).toBe('delayed');
    expect(await redis.zrange(queue.toKey('delayed'), 0, -1)).toEqual(['import-1']);
    expect(await data('import-1')).toEqual({ importId: 'second' });
  });

  it('adds again a job whose id a finished job kept', async () => {
    await queue.add('import.run', { importId: 'first' }, { jobId: 'import-1' });
    const taken = await takingWorker().getNextJob('token-1');
    await taken!.moveToCompleted('done', 'token-1', false);
    expect(await queue.getJobState('import-1')).toBe('completed');

    await enqueueOnce(queue, 'import.run', { importId: 'second' }, 'import-1');
    expect(await queue.getJobState('import-1')).toBe('waiting');
    expect(await data('import-1')).toEqual({ importId: 'second' });
  });
});

describe('enqueueAllOnce', () => {
  it('adds the new and the lost jobs of a set, and leaves the waiting ones', async () => {
    await enqueueOnce(queue, 'import.run', { importId: 'first' }, 'import-1');
    await enqueueOnce(queue, 'import.run', { importId: 'first' }, 'import-2');
    await redis.lrem(queue.toKey('wait'), 0, 'import-2');

    await enqueueAllOnce(
      queue,
      ['import-1', 'import-2', 'import-3'].map((jobId) => ({
        name: 'import.run',
        data: { importId: 'second' },
        jobId,
      })),
    );
    expect((await redis.lrange(queue.toKey('wait'), 0, -1)).sort()).toEqual(['import-1', 'import-2', 'import-3']);
    expect(await data('import-1')).toEqual({ importId: 'first' });
    expect(await data('import-2')).toEqual({ importId: 'second' });
    expect(await data('import-3')).toEqual({ importId: 'second' });
  });
});
