import { describe, expect, it } from 'vitest';
import { WriteBehind } from './write-behind.js';

describe('WriteBehind', () => {
  it('writes the first call at once and those made meanwhile together, each answered in order', async () => {
    const writes: number[][] = [];
    let release: () => void = () => undefined;
    const writer = new WriteBehind<number, string>(async (items) => {
      writes.push(items);
      if (writes.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return items.map((n) => `#${n}`);
    }, 3);
    const first = writer.write(1);
    const later = [2, 3, 4, 5].map((n) => writer.write(n));
    expect(writes).toEqual([[1]]);
    release();
    expect(await Promise.all([first, ...later])).toEqual(['#1', '#2', '#3', '#4', '#5']);
    expect(writes).toEqual([[1], [2, 3, 4], [5]]);
  });

  it('fails every call of a failed write, and writes the next calls afresh', async () => {
    let fail = true;
    const writer = new WriteBehind<number, number>(async (items) => {
      if (fail) throw new Error('down');
      return items;
    });
    await expect(writer.write(1)).rejects.toThrow('down');
    fail = false;
    expect(await writer.write(2)).toBe(2);
  });

  it('waits lingerMs before a write, so that calls made meanwhile share it', async () => {
    const writes: number[][] = [];
    const writer = new WriteBehind<number, number>(
      async (items) => {
        writes.push(items);
        return items;
      },
      100,
      30,
    );
    const first = writer.write(1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(writes).toEqual([]);
    const second = writer.write(2);
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(writes).toEqual([[1, 2]]);
  });
});
