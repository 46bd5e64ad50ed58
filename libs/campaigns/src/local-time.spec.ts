import { describe, expect, it } from 'vitest';
import { instantOfLocalTime, isTimeZone } from './local-time.js';

const fieldOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { fields?: Record<string, string> }).fields;
  }
  throw new Error('expected a DomainError');
};

describe('instantOfLocalTime', () => {
  it('reads a wall-clock time in the zone, in winter and in summer', () => {
    expect(instantOfLocalTime('2026-12-01T09:00', 'Europe/Berlin').toISOString()).toBe('2026-12-01T08:00:00.000Z');
    expect(instantOfLocalTime('2026-07-01T09:00', 'Europe/Berlin').toISOString()).toBe('2026-07-01T07:00:00.000Z');
    expect(instantOfLocalTime('2026-07-01T09:00:30', 'America/New_York').toISOString()).toBe(
      '2026-07-01T13:00:30.000Z',
    );
    expect(instantOfLocalTime('2026-12-01T09:00', 'UTC').toISOString()).toBe('2026-12-01T09:00:00.000Z');
    expect(instantOfLocalTime('2026-12-01T09:00', 'Asia/Kolkata').toISOString()).toBe('2026-12-01T03:30:00.000Z');
  });

  it('refuses a time skipped when clocks go forward, naming at', () => {
    // Europe/Berlin skips 02:00-02:59 on 2026-03-29.
    expect(fieldOf(() => instantOfLocalTime('2026-03-29T02:30', 'Europe/Berlin'))).toHaveProperty('at');
    expect(instantOfLocalTime('2026-03-29T03:00', 'Europe/Berlin').toISOString()).toBe('2026-03-29T01:00:00.000Z');
  });

  it('takes the first of a time repeated when clocks go back', () => {
    // Europe/Berlin shows 02:30 twice on 2026-10-25: first at +02:00.
    expect(instantOfLocalTime('2026-10-25T02:30', 'Europe/Berlin').toISOString()).toBe('2026-10-25T00:30:00.000Z');
  });

  it('refuses unknown zones and malformed or impossible times', () => {
    expect(fieldOf(() => instantOfLocalTime('2026-12-01T09:00', 'Mars/Olympus'))).toHaveProperty('timeZone');
    expect(fieldOf(() => instantOfLocalTime('2026-12-01T09:00+01:00', 'UTC'))).toHaveProperty('at');
    expect(fieldOf(() => instantOfLocalTime('2026-02-30T09:00', 'UTC'))).toHaveProperty('at');
    expect(fieldOf(() => instantOfLocalTime('2026-12-01T24:00', 'UTC'))).toHaveProperty('at');
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('not/a zone')).toBe(false);
  });
});
