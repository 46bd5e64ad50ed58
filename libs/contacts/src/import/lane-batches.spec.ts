import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Batch } from './copy-batch.js';
import { feedRecords } from './csv-records.js';
import { LaneBatches } from './lane-batches.js';
import { planColumns } from './mapping.js';
import { describeColumns } from './staging-rows.js';

const HEADER = ['email', 'note', 'bio', 'notes'];
const columns = describeColumns(planColumns(HEADER, {}, 'attributes'), new Map());

/** `rows` rows with three text cells of `width` characters, over two lanes as `LaneBatches` spreads them. */
async function cut(rows: number, width: number, limits: { rows: number; bytes: number }) {
  const lines = [HEADER.join(',')];
  const cell = 'x'.repeat(width);
  for (let i = 1; i <= rows; i += 1) lines.push(`wide${i}@example.com,${cell},${cell},${cell}`);
  const file = Buffer.from(lines.join('\n'));
  const batches = new LaneBatches([0, 0], columns, limits);
  const sent: Batch[] = [];
  let bytesRead = 0;
  for await (bytesRead of feedRecords(Readable.from([file]), { encoding: 'utf-8', delimiter: ',' }, batches.take)) {
    for (const [, batch] of batches.full(bytesRead)) sent.push(batch);
  }
  for (const [, batch] of batches.rest(bytesRead)) sent.push(batch);
  return { sent, fileBytes: file.length };
}

describe('LaneBatches', () => {
  it('cuts wide rows by bytes long before the row limit', async () => {
    const cap = 1024 * 1024;
    // 9 MB of 4.5 KB rows: far under 50 000 rows, so only the byte cap can cut it.
    const { sent, fileBytes } = await cut(2000, 1500, { rows: 50_000, bytes: cap });
    expect(sent.reduce((n, b) => n + b.staged, 0)).toBe(2000);
    // Each batch stops within one 64 KiB read (and one row) past the cap.
    const most = cap + 64 * 1024 + 4600;
    for (const batch of sent) expect(batch.bytes).toBeLessThanOrEqual(most);
    expect(sent.length).toBeGreaterThanOrEqual(Math.ceil(fileBytes / most));
  });

  it('cuts narrow rows by rows, a short first batch per lane', async () => {
    // About 1 100 rows per lane in each 64 KiB read.
    const { sent } = await cut(40_000, 1, { rows: 4000, bytes: 16 * 1024 * 1024 });
    expect(sent.reduce((n, b) => n + b.rows, 0)).toBe(40_000);
    const [first, second, ...rest] = sent;
    // The first batch of each lane is cut at a tenth of the rows, the others at the limit.
    for (const batch of [first, second]) expect(batch.rows).toBeGreaterThanOrEqual(400);
    for (const batch of [first, second]) expect(batch.rows).toBeLessThan(400 + 1500);
    for (const batch of rest.slice(0, -2)) expect(batch.rows).toBeGreaterThanOrEqual(4000);
    for (const batch of rest.slice(0, -2)) expect(batch.rows).toBeLessThan(4000 + 1500);
  });

  it('ends every lane at the last row, and skips rows a lane already has', async () => {
    const lines = ['email', ...Array.from({ length: 100 }, (_, i) => `resumed${i + 1}@example.com`)];
    const batches = new LaneBatches([60, 30], describeColumns(planColumns(['email'], {}, 'ignore'), new Map()), {
      rows: 1000,
      bytes: 1024 * 1024,
    });
    for await (const _ of feedRecords(
      Readable.from([Buffer.from(lines.join('\n'))]),
      { encoding: 'utf-8', delimiter: ',' },
      batches.take,
    ));
    const rest = [...batches.rest(123)];
    expect(rest.map(([lane, b]) => [lane, b.lastRow, b.bytesRead])).toEqual([
      [0, 100, 123],
      [1, 100, 123],
    ]);
    const staged = rest.map(([, b]) =>
      b.copy
        .bytes()
        .toString()
        .trim()
        .split('\n')
        .map((l) => Number(l.split('\t')[0])),
    );
    expect(Math.min(...staged[0])).toBeGreaterThan(60);
    expect(Math.min(...staged[1])).toBeGreaterThan(30);
    // Rows 31–60 went to lane 1 or were lane 0's already; rows past 60 all arrive once.
    expect(
      staged
        .flat()
        .filter((r) => r > 60)
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 40 }, (_, i) => 61 + i));
  });
});
