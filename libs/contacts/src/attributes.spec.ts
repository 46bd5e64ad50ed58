import { describe, expect, it } from 'vitest';
import { coerceAttribute } from './attributes.js';

describe('coerceAttribute', () => {
  it('coerces each declared type', () => {
    expect(coerceAttribute('number', ' 42.5 ')).toEqual({ ok: true, value: 42.5 });
    expect(coerceAttribute('boolean', 'Yes')).toEqual({ ok: true, value: true });
    expect(coerceAttribute('date', '2024-05-01')).toEqual({ ok: true, value: '2024-05-01T00:00:00.000Z' });
    expect(coerceAttribute('date', '2024-05-01 10:30:00')).toEqual({ ok: true, value: '2024-05-01T10:30:00.000Z' });
    expect(coerceAttribute('date', '2024-05-01T12:00:00+02:00')).toEqual({
      ok: true,
      value: '2024-05-01T10:00:00.000Z',
    });
    expect(coerceAttribute('text', '')).toEqual({ ok: true, value: null });
  });

  it('rejects wrong types and over-long text', () => {
    expect(coerceAttribute('number', '12abc').ok).toBe(false);
    expect(coerceAttribute('boolean', 'maybe').ok).toBe(false);
    expect(coerceAttribute('date', '2024-02-30').ok).toBe(false);
    expect(coerceAttribute('date', '01/05/2024').ok).toBe(false);
    expect(coerceAttribute('text', 'x'.repeat(2001)).ok).toBe(false);
    expect(coerceAttribute('text', { nested: true }).ok).toBe(false);
    expect(coerceAttribute('text', 'a\u0000b').ok).toBe(false);
    expect(coerceAttribute('number', Infinity).ok).toBe(false);
    expect(coerceAttribute('date', 20240501).ok).toBe(false);
  });

  it('stores dates so that string order is time order, whatever zone they were written in', () => {
    const stored = ['2024-05-01T23:30:00-02:00', '2024-05-02', '2024-05-02T00:30:00+00:00'].map((raw) => {
      const coerced = coerceAttribute('date', raw);
      if (!coerced.ok) throw new Error(coerced.reason);
      return coerced.value as string;
    });
    expect(stored).toEqual(['2024-05-02T01:30:00.000Z', '2024-05-02T00:00:00.000Z', '2024-05-02T00:30:00.000Z']);
    expect([...stored].sort()).toEqual([...stored].sort((a, b) => new Date(a).getTime() - new Date(b).getTime()));
  });

  it('clears the attribute on an empty value of any type', () => {
    for (const type of ['text', 'number', 'boolean', 'date'] as const) {
      expect(coerceAttribute(type, '')).toEqual({ ok: true, value: null });
      expect(coerceAttribute(type, null)).toEqual({ ok: true, value: null });
    }
  });
});
