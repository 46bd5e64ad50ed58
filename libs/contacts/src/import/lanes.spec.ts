import { describe, expect, it } from 'vitest';
import { laneOf } from './lanes.js';

describe('laneOf', () => {
  it('sends an address to the same lane every time', () => {
    for (const key of ['ann@example.com', 'zoë@bücher.de', '']) expect(laneOf(key, 3)).toBe(laneOf(key, 3));
  });

  it('uses one lane when there is one', () => {
    expect(laneOf('ann@example.com', 1)).toBe(0);
  });

  it('spreads similar addresses evenly', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i += 1) counts[laneOf(`user${i}@example${i % 7}.com`, 4)] += 1;
    for (const n of counts) expect(Math.abs(n - 10_000)).toBeLessThan(500);
  });
});
