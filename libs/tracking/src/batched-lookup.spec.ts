import { describe, expect, it } from 'vitest';
import { batchedLookup } from './batched-lookup.js';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('batchedLookup', () => {
  it('sends ids asked for together, and while lookups run, as few batches', async () => {
    const calls: string[][] = [];
    const gates: ReturnType<typeof deferred>[] = [];
    const lookup = batchedLookup(
      async (ids: string[]) => {
        calls.push(ids);
        const gate = deferred();
        gates.push(gate);
        await gate.promise;
        return new Map(ids.filter((id) => id !== 'gone').map((id) => [id, `row ${id}`]));
      },
      { maxInFlight: 1 },
    );
    const first = [lookup('1'), lookup('2'), lookup('2')];
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual([['1', '2']]);
    // Asked for while the first query runs: they wait and go together.
    const second = [lookup('3'), lookup('gone'), lookup('4')];
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.length).toBe(1);
    gates[0].resolve();
    expect(await Promise.all(first)).toEqual(['row 1', 'row 2', 'row 2']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual([
      ['1', '2'],
      ['3', 'gone', '4'],
    ]);
    gates[1].resolve();
    expect(await Promise.all(second)).toEqual(['row 3', undefined, 'row 4']);
  });

  it('fails every lookup of a failed batch, and goes on with the next', async () => {
    let fail = true;
    const lookup = batchedLookup(async (ids: string[]) => {
      if (fail) throw new Error('database down');
      return new Map(ids.map((id) => [id, id]));
    });
    await expect(Promise.all([lookup('1'), lookup('2')])).rejects.toThrow('database down');
    fail = false;
    expect(await lookup('3')).toBe('3');
  });

  it('caps a batch', async () => {
    const sizes: number[] = [];
    const lookup = batchedLookup(
      async (ids: string[]) => {
        sizes.push(ids.length);
        return new Map(ids.map((id) => [id, id]));
      },
      { maxBatch: 10 },
    );
    await Promise.all(Array.from({ length: 25 }, (_, i) => lookup(String(i))));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(25);
    expect(Math.max(...sizes)).toBe(10);
  });
});
