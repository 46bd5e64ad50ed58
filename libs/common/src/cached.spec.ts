import { afterEach, describe, expect, it, vi } from 'vitest';
import { cachedFor } from './cached.js';

describe('cachedFor', () => {
  afterEach(() => vi.useRealTimers());

  it('runs one computation for callers that arrive while it runs', async () => {
    let release!: (n: number) => void;
    const compute = vi.fn(() => new Promise<number>((resolve) => (release = resolve)));
    const read = cachedFor(0, compute);
    const callers = Array.from({ length: 30 }, () => read());
    release(7);
    expect(await Promise.all(callers)).toEqual(Array(30).fill(7));
    expect(compute).toHaveBeenCalledTimes(1);
  });

  it('reuses a result for ttl ms, then computes again', async () => {
    vi.useFakeTimers();
    let n = 0;
    const read = cachedFor(30_000, async () => (n += 1));
    expect(await read()).toBe(1);
    vi.advanceTimersByTime(29_000);
    expect(await read()).toBe(1);
    vi.advanceTimersByTime(1_000);
    expect(await read()).toBe(2);
  });

  it('does not keep a failure', async () => {
    const compute = vi.fn().mockRejectedValueOnce(new Error('down')).mockResolvedValueOnce(3);
    const read = cachedFor(30_000, compute);
    await expect(read()).rejects.toThrow('down');
    expect(await read()).toBe(3);
  });
});
