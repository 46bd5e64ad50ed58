import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseInbound, readDeliveryStatus, readFeedbackReport, readPlainBounce, tokensIn } from './report-parser.js';

const TOKEN = 'AbCdEfGhIjKlMnOpQrStUv';

/** A fixture from test/fixtures/inbound with its placeholders filled and CRLF line ends, as SMTP delivers it. */
async function fixture(name: string): Promise<Buffer> {
  const text = await readFile(new URL(`../../../test/fixtures/inbound/${name}`, import.meta.url), 'utf8');
  return Buffer.from(
    text.replaceAll('TOKEN', TOKEN).replaceAll('RECIPIENT', 'ada@mail-test.example').replace(/\r?\n/g, '\r\n'),
  );
}

describe('parseInbound', () => {
  it('reads a Postfix delivery status notification with a 5.1.1 as a hard bounce', async () => {
    const parsed = await parseInbound(await fixture('dsn-hard.eml'));
    expect(parsed.report).toEqual({
      kind: 'delivery-status',
      format: 'rfc3464',
      effect: 'hard-bounce',
      recipients: [
        {
          recipient: 'ada@mail-test.example',
          action: 'failed',
          status: '5.1.1',
          diagnostic:
            'smtp; 550 5.1.1 <ada@mail-test.example>: Recipient address rejected: User unknown in virtual mailbox table',
        },
      ],
      detail:
        '5.1.1 smtp; 550 5.1.1 <ada@mail-test.example>: Recipient address rejected: User unknown in virtual mailbox table',
    });
    expect(parsed.subject).toBe('Undelivered Mail Returned to Sender');
    expect(parsed.fingerprint).toBe('message-id:<20261130051000.4A1B2C3D@mx.mail-test.example>');
    expect(parsed.headers.find((h) => h.name === 'Content-Type')?.value).toMatch(/^multipart\/report;/);
    // The returned headers keep the original message's Message-ID and return path.
    expect(parsed.searchText.some((t) => t.includes(`<m1.${TOKEN}@herald-test.example.com>`))).toBe(true);
  });

  it('reads a delayed delivery (4.2.2) as a soft bounce', async () => {
    const parsed = await parseInbound(await fixture('dsn-delayed.eml'));
    expect(parsed.report).toMatchObject({
      kind: 'delivery-status',
      effect: 'soft-bounce',
      detail: '4.2.2 smtp; 452 4.2.2 Mailbox full',
    });
  });

  it('reads an RFC 5965 abuse report as a complaint, with the reported message among what it searches', async () => {
    const parsed = await parseInbound(await fixture('arf.eml'));
    expect(parsed.report).toEqual({
      kind: 'feedback-report',
      feedbackType: 'abuse',
      effect: 'complaint',
      detail: 'abuse',
    });
    const found = parsed.searchText.flatMap(tokensIn);
    expect(found).toContainEqual({ token: TOKEN, id: null });
    expect(found).toContainEqual({ token: TOKEN, id: '1' });
  });

  it('calls anything that is not a report unreadable, with the reason', async () => {
    const parsed = await parseInbound(await fixture('not-a-report.eml'));
    expect(parsed.report).toEqual({
      kind: 'other',
      reason: 'not a report: the message is text/plain, not multipart/report',
    });
    const garbage = await parseInbound(Buffer.from('\u0000\u0001 not mail at all'));
    expect(garbage.report.kind).toBe('other');
    expect(garbage.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('plain-text bounces', () => {
  it('reads a qmail bounce by its (#5.1.1) as a hard bounce, when it came to a bounce address', async () => {
    const raw = await fixture('plain-qmail.eml');
    expect((await parseInbound(raw, { plainBounce: true })).report).toEqual({
      kind: 'delivery-status',
      format: 'plain',
      recipients: [],
      effect: 'hard-bounce',
      detail: 'Sorry, no mailbox here by that name. (#5.1.1)',
    });
    expect((await parseInbound(raw)).report).toMatchObject({ kind: 'other' });
  });

  it('reads an Exim bounce for a full mailbox (552 5.2.2) as a soft bounce', async () => {
    const parsed = await parseInbound(await fixture('plain-exim.eml'), { plainBounce: true });
    expect(parsed.report).toMatchObject({
      format: 'plain',
      effect: 'soft-bounce',
      detail: '552 5.2.2 <ada@mail-test.example>: Mailbox full, quota exceeded',
    });
    expect(parsed.subject).toBe('Mail delivery failed: returning message to sender');
  });

  it('leaves text that quotes no status, such as an auto-reply, unread', async () => {
    const parsed = await parseInbound(await fixture('not-a-report.eml'), { plainBounce: true });
    expect(parsed.report).toEqual({
      kind: 'other',
      reason: 'not a report: the message is text/plain, not multipart/report',
    });
    for (const text of ['Version 5.0.1 of our app is out', 'Call us on 555 1234', 'Back on 4.12.', 'Sent 2.0.0 ok']) {
      expect(readPlainBounce(text), text).toBeNull();
    }
  });

  it('takes 5.x.x and 5xx as hard, 4.x.x, 4xx and a full mailbox as soft, the enhanced status first', () => {
    const effect = (text: string) => readPlainBounce(text)?.effect;
    expect(effect('550 5.1.1 User unknown')).toBe('hard-bounce');
    expect(effect('host mx.example [192.0.2.1]: 550-5.7.1 Blocked')).toBe('hard-bounce');
    expect(effect('5.2.2 mailbox full')).toBe('soft-bounce');
    expect(effect('Remote host said: 552 Mailbox full')).toBe('soft-bounce');
    expect(effect('Remote host said: 552 5.3.4 Message too big')).toBe('hard-bounce');
    expect(effect('Remote host said: 554 rejected')).toBe('hard-bounce');
    expect(effect('<<< 451 4.7.1 Greylisted, try again')).toBe('soft-bounce');
    expect(effect('  4.4.1 no answer from host')).toBe('soft-bounce');
    // The first status decides: the failure, before anything the copy of the message quotes.
    expect(readPlainBounce('said: 550 5.1.1 no such user\n--- copy\n450 4.2.0 quoted')?.detail).toBe(
      'said: 550 5.1.1 no such user',
    );
  });
});

describe('readDeliveryStatus', () => {
  it('takes a hard failure over a delay, and asks nothing of successes', () => {
    const mixed = readDeliveryStatus(
      'Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@x.example\nAction: delayed\nStatus: 4.4.1\n\n' +
        'Final-Recipient: rfc822; b@x.example\nAction: failed\nStatus: 5.2.1\n',
    );
    expect(mixed).toMatchObject({ effect: 'hard-bounce', detail: '5.2.1' });
    const delivered = readDeliveryStatus(
      'Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@x.example\nAction: delivered\nStatus: 2.0.0\n',
    );
    expect(delivered).toMatchObject({ effect: null, detail: 'action delivered' });
  });

  it('treats a failure with a temporary status as soft, and one without a status by its SMTP reply', () => {
    expect(readDeliveryStatus('Final-Recipient: rfc822; a@x.example\nAction: failed\nStatus: 4.4.7\n')).toMatchObject({
      effect: 'soft-bounce',
    });
    expect(
      readDeliveryStatus('Final-Recipient: rfc822; a@x.example\nAction: failed\nDiagnostic-Code: smtp; 554 rejected\n'),
    ).toMatchObject({ effect: 'hard-bounce' });
    expect(readDeliveryStatus('Reporting-MTA: dns; mx\n')).toMatchObject({ kind: 'other' });
  });

  it('treats a full mailbox as soft, as in plain-text bounces: its owner may empty it', () => {
    for (const fields of ['Status: 5.2.2\n', 'Diagnostic-Code: smtp; 552 mailbox full\n']) {
      expect(readDeliveryStatus(`Final-Recipient: rfc822; a@x.example\nAction: failed\n${fields}`)).toMatchObject({
        effect: 'soft-bounce',
      });
    }
  });
});

describe('readFeedbackReport', () => {
  it('counts abuse, fraud, virus and other as complaints, not not-spam or auth-failure', () => {
    for (const type of ['abuse', 'fraud', 'virus', 'other']) {
      expect(readFeedbackReport(`Feedback-Type: ${type}\nVersion: 1\n`)).toMatchObject({ effect: 'complaint' });
    }
    for (const type of ['not-spam', 'auth-failure']) {
      expect(readFeedbackReport(`Feedback-Type: ${type}\nVersion: 1\n`)).toMatchObject({ effect: null });
    }
    expect(readFeedbackReport('Version: 1\n')).toMatchObject({ kind: 'other' });
  });
});

describe('tokensIn', () => {
  it('reads VERP tokens in hex whatever their case, the base64url ones of mail sent before, and Message-IDs', () => {
    // A token as MessageTokens writes it: 16 bytes in their one base64url spelling.
    const token = 'AbCdEfGhIjKlMnOpQrStUg';
    const hex = Buffer.from(token, 'base64url').toString('hex');
    const text =
      `Return-Path: <BOUNCE+${hex.toUpperCase()}@HERALD-TEST.EXAMPLE.COM>\n` +
      `List-Unsubscribe: <mailto:unsubscribe+${hex}@herald-test.example.com>\n` +
      `X-Postfix-Sender: rfc822; bounce+${token}@herald-test.example.com\n` +
      `Message-ID: <m42.${token}@herald-test.example.com>\n`;
    expect(tokensIn(text)).toEqual([
      { token, id: null },
      { token, id: null },
      { token, id: null },
      { token, id: '42' },
    ]);
  });
});
