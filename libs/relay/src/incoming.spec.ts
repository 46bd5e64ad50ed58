import { describe, expect, it } from 'vitest';
import { prepareIncoming, RefusedMessage } from './incoming.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const message = (...lines: string[]) => Buffer.from(lines.join('\r\n'), 'latin1');

describe('prepareIncoming', () => {
  it('keeps a message that needs nothing as the very bytes it was given', () => {
    const raw = message(
      'From: App <app@example.org>',
      'To: someone@example.com',
      'Date: Mon, 30 Nov 2026 11:00:00 +0000',
      'Message-ID: <a1@example.org>',
      'Subject: =?UTF-8?Q?Caf=C3=A9?=',
      ' folded',
      '',
      'body',
      '',
    );
    const prepared = prepareIncoming(raw, NOW);
    expect(prepared.raw).toBe(raw);
    expect(prepared.from).toBe('app@example.org');
    expect(prepared.messageId).toBe('<a1@example.org>');
  });

  it('drops Bcc and adds a Date in its place, even where the two would be as long', () => {
    const date = `Date: ${NOW.toUTCString().replace(/GMT$/, '+0000')}`;
    const bcc = `Bcc: ${'x'.repeat(date.length - 'Bcc: '.length - '@example.com'.length)}@example.com`;
    expect(bcc.length).toBe(date.length);
    const raw = message('From: app@example.org', bcc, 'Message-ID: <a2@example.org>', '', 'body');
    const text = prepareIncoming(raw, NOW).raw.toString('latin1');
    expect(text).not.toContain('Bcc:');
    expect(text).toBe(['From: app@example.org', 'Message-ID: <a2@example.org>', date, '', 'body'].join('\r\n'));
  });

  it('gives a header without a body its empty line, and a Message-ID in the From domain', () => {
    const raw = message('From: app@example.org', 'Date: Mon, 30 Nov 2026 11:00:00 +0000');
    const prepared = prepareIncoming(raw, NOW);
    expect(prepared.messageId).toMatch(/^<r[0-9a-f]{24}@example\.org>$/);
    expect(prepared.raw.toString('latin1')).toMatch(/^From: app@example\.org\r\n.*\r\nMessage-ID: <[^>]+>\r\n\r\n$/s);
  });

  it('refuses a message without exactly one From address', () => {
    expect(() => prepareIncoming(message('To: a@example.com', '', 'x'), NOW)).toThrow(RefusedMessage);
    expect(() => prepareIncoming(message('From: a@example.org, b@example.org', '', 'x'), NOW)).toThrow(
      /exactly one valid address/,
    );
  });
});
