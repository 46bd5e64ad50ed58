import type { HeraldConfig } from '@herald/common';
import type { CampaignReports } from '@herald/tracking';
import { describe, expect, it } from 'vitest';
import { CampaignGuard } from './campaign-guard.js';

const guard = (percent = 5, minSends = 200) =>
  new CampaignGuard(
    { HERALD_BOUNCE_GUARD_PERCENT: percent, HERALD_BOUNCE_GUARD_MIN_SENDS: minSends } as HeraldConfig,
    // The bounce window never reads the counters.
    {} as CampaignReports,
  );

describe('CampaignGuard bounce window', () => {
  it('waits for the minimum number of sends, then pauses past the limit', () => {
    const g = guard();
    for (let i = 0; i < 199; i++) expect(g.recordSend('1', i < 20)).toBeNull();
    expect(g.recordSend('1', false)).toMatch(/20 of the last 200 messages bounced \(10\.0 %, limit 5 %\)/);
  });

  it('judges only the last 1,000 sends: old bounces age out', () => {
    const g = guard();
    // 40 bounces early, when the window already holds enough to judge but they are under 5 %.
    for (let i = 0; i < 1000; i++) expect(g.recordSend('1', i % 25 === 0)).toBeNull();
    // A clean stretch pushes them out; then 49 bounces in the last 1,000 stay at 4.9 %.
    for (let i = 0; i < 1000; i++) expect(g.recordSend('1', false)).toBeNull();
    for (let i = 0; i < 49; i++) expect(g.recordSend('1', true)).toBeNull();
    expect(g.recordSend('1', true)).toBeNull();
    expect(g.recordSend('1', true)).toMatch(/51 of the last 1000 messages bounced/);
  });

  it('keeps campaigns apart, judges afresh after it paused one, and is off at 100 %', () => {
    const g = guard(5, 10);
    for (let i = 0; i < 9; i++) g.recordSend('1', true);
    for (let i = 0; i < 100; i++) expect(g.recordSend('2', false)).toBeNull();
    expect(g.recordSend('1', true)).not.toBeNull();
    expect(g.recordSend('1', true)).toBeNull();
    const off = guard(100, 1);
    for (let i = 0; i < 100; i++) expect(off.recordSend('1', true)).toBeNull();
  });
});
