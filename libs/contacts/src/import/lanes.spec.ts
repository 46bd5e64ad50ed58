import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { feedRecords } from './csv-records.js';
import { LaneBatches } from './lane-batches.js';
import { laneOf } from './lanes.js';
import { planColumns } from './mapping.js';
import { describeColumns } from './staging-rows.js';

describe('laneOf', () => {
  it('gives an address the same lane in every process and every version', () => {
    // A resumed import splits its file again, maybe in another worker or after an upgrade:
    // were these to change, rows would move lanes and a lane's checkpoint would skip them.
    expect(['ann@example.com', 'zoë@bücher.de', 'bob@example.org'].map((key) => laneOf(key, 3))).toEqual([2, 2, 0]);
    expect(['ann@example.com', 'zoë@bücher.de', 'bob@example.org'].map((key) => laneOf(key, 8))).toEqual([5, 0, 2]);
  });

  it('uses one lane when there is one', () => {
    expect(laneOf('ann@example.com', 1)).toBe(0);
  });

  it('spreads similar addresses evenly', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i += 1) counts[laneOf(`user${i}@example${i % 7}.com`, 4)] += 1;
    for (const n of counts) expect(Math.abs(n - 10_000)).toBeLessThan(500);
  });

  it('sends every spelling of an address in a file to one lane, in file order', async () => {
    const spellings = ['Ann@Example.com', 'ann@example.com', 'ANN@EXAMPLE.COM', 'aNN@example.COM'];
    const others = Array.from({ length: 40 }, (_, i) => `other${i}@example.com`);
    const file = ['email', ...spellings.flatMap((s, i) => [s, ...others.slice(i * 10, i * 10 + 10)])].join('\n');
    const batches = new LaneBatches([0, 0, 0], describeColumns(planColumns(['email'], {}, 'ignore'), new Map()), {
      rows: 1000,
      bytes: 1024 * 1024,
    });
    let bytesRead = 0;
    for await (bytesRead of feedRecords(
      Readable.from([Buffer.from(file)]),
      { encoding: 'utf-8', delimiter: ',' },
      batches.take,
    ));
    const lanes = [...batches.rest(bytesRead)].map(([, batch]) =>
      batch.copy
        .bytes()
        .toString()
        .trim()
        .split('\n')
        .map((line) => line.split('\t')),
    );
    const holding = lanes.filter((lines) => lines.some(([, email]) => email.toLowerCase() === 'ann@example.com'));
    expect(holding).toHaveLength(1);
    const copies = holding[0].filter(([, email]) => email.toLowerCase() === 'ann@example.com');
    expect(copies.map(([, email]) => email.split('@')[0])).toEqual(spellings.map((s) => s.split('@')[0]));
  });
});
