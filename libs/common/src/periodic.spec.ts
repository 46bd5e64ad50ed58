import { describe, expect, it } from 'vitest';
import { runPeriodically } from './periodic.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('runPeriodically', () => {
  it('never runs twice at once, goes on after a failure, and waits for the run in progress when stopped', async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    let finished = 0;
    const errors: unknown[] = [];
    const task = runPeriodically(
      async () => {
        runs += 1;
        active += 1;
        most = Math.max(most, active);
        await sleep(30);
        active -= 1;
        finished += 1;
        if (runs === 1) throw new Error('first run fails');
      },
      5,
      (error) => errors.push(error),
    );
    await sleep(150);
    await task.stop();
    expect(most).toBe(1);
    expect(runs).toBeGreaterThan(1);
    expect(finished).toBe(runs);
    expect(errors).toHaveLength(1);
    const after = runs;
    await sleep(30);
    expect(runs).toBe(after);
  });
});
