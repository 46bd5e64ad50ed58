import type { HeraldConfig } from '@herald/common';
import type { Outbox } from '@herald/delivery';
import type { CampaignReports } from '@herald/tracking';
import { describe, expect, it } from 'vitest';
import { CampaignGuard, type GuardCounters } from './campaign-guard.js';

const guard = (percent = 5, minSends = 200, complaintPercent = 0.3) =>
  new CampaignGuard(
    {
      HERALD_BOUNCE_GUARD_PERCENT: percent,
      HERALD_BOUNCE_GUARD_MIN_SENDS: minSends,
      HERALD_COMPLAINT_GUARD_PERCENT: complaintPercent,
    } as HeraldConfig,
    // The bounce window and the judgement of counters read nothing.
    {} as Outbox,
    {} as CampaignReports,
  );

const counters = (attempted: number, bounced: number, delivered = attempted - bounced, complaints = 0) =>
  ({ attempted, bounced, delivered, complaints }) satisfies GuardCounters;
const START = counters(0, 0);

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

describe('CampaignGuard judging the report counters', () => {
  it('pauses for hard bounces reported after sending once enough messages were attempted', () => {
    const g = guard(5, 50);
    // Every send was accepted (the window saw no bounce); 6 bounce reports came back since.
    expect(g.judge(counters(49, 6), START)).toBeNull();
    expect(g.judge(counters(100, 5), START)).toBeNull();
    expect(g.judge(counters(100, 6), START)).toMatch(
      /^Paused automatically: 6 of 100 messages bounced hard, counting bounce reports that came back after sending \(6\.0 %, limit 5 %\)/,
    );
    expect(guard(100, 50).judge(counters(100, 100), START)).toBeNull();
  });

  it('pauses for complaints past their share of delivered messages', () => {
    const g = guard(5, 50, 0.3);
    expect(g.judge(counters(1000, 0, 1000, 3), START)).toBeNull();
    expect(g.judge(counters(1000, 0, 1000, 4), START)).toMatch(/4 spam complaints for 1000 delivered messages/);
  });

  it('judges only what was counted after the last resume', () => {
    const g = guard(5, 50, 0.3);
    const resumed = counters(100, 20, 80, 5);
    // The figures that paused it pause it no more…
    expect(g.judge(counters(160, 21, 139, 5), resumed)).toBeNull();
    // …but what comes after does: 4 bounces of the 60 messages attempted since, or 1 complaint for 60 delivered.
    expect(g.judge(counters(160, 24, 136, 5), resumed)).toMatch(/4 of 60 messages bounced hard/);
    expect(g.judge(counters(160, 20, 140, 6), resumed)).toMatch(/1 spam complaints for 60 delivered messages/);
  });
});
