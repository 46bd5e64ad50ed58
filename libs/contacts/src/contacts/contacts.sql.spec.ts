import { describe, expect, it } from 'vitest';
import { containsPattern, pageQuery } from './contacts.sql.js';

describe('containsPattern', () => {
  it('wraps in % and escapes LIKE metacharacters', () => {
    expect(containsPattern('jane')).toBe('%jane%');
    expect(containsPattern('100%_a\\b')).toBe('%100\\%\\_a\\\\b%');
  });
});

describe('pageQuery', () => {
  it('binds every filter value and fetches one row more than the page', () => {
    const { text, params } = pageQuery({ after: '10', status: 'subscribed', listId: '3', q: "o'brien", limit: 50 });
    expect(params).toEqual(['10', 'subscribed', '3', "%o'brien%", 51]);
    expect(text).not.toContain("o'brien");
    expect(text).toMatch(/ORDER BY c\.id LIMIT \$5$/);
  });

  it('leaves out filters that are not given', () => {
    const { text, params } = pageQuery({ limit: 5, q: '' });
    expect(params).toEqual([6]);
    expect(text).not.toMatch(/FROM contacts c\s+WHERE/);
  });
});
