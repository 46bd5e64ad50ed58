import { createHash } from 'node:crypto';
import { tokenOfVerp } from '@herald/delivery';
import { type ParsedMail, simpleParser } from 'mailparser';

/** What an inbound message was read as. */
export type InboundKind = 'delivery-status' | 'feedback-report' | 'unsubscribe' | 'other';

/** What a report asks Herald to do to the message it is about. */
export type InboundEffect = 'hard-bounce' | 'soft-bounce' | 'complaint' | 'unsubscribe';

/** One per-recipient block of a delivery status notification (RFC 3464 section 2.3). */
export interface RecipientStatus {
  recipient: string | null;
  action: string;
  status: string | null;
  diagnostic: string | null;
}

/** What the report part of a message says, and what Herald makes of it. */
export type ReportReading =
  | {
      kind: 'delivery-status';
      /** `rfc3464`, or `plain` for a bounce in free text, read by the status code it quotes (no recipient blocks). */
      format: 'rfc3464' | 'plain';
      recipients: RecipientStatus[];
      /** Null when no recipient failed or was delayed (a success notification). */
      effect: 'hard-bounce' | 'soft-bounce' | null;
      /** The status and diagnostic of the recipient that decided the effect. */
      detail: string;
    }
  | { kind: 'feedback-report'; feedbackType: string; effect: 'complaint' | null; detail: string }
  | { kind: 'other'; reason: string };

export interface ParsedInbound {
  messageId: string | null;
  from: string | null;
  subject: string | null;
  /** Every header field of the message in order, unfolded. */
  headers: { name: string; value: string }[];
  report: ReportReading;
  /**
   * Where the original message's identity may be found when the envelope
   * does not name it: the report's fields and the returned message or its
   * headers, decoded, then the raw message.
   */
  searchText: string[];
  /** The same report delivered twice has the same fingerprint: its Message-ID, else its body's hash. */
  fingerprint: string;
}

/** RFC 3464 status codes: class.subject.detail. */
const STATUS = /^([245])\.\d{1,3}\.\d{1,3}$/;
/** Feedback types (RFC 5965, 6430, 6591) that are a recipient's complaint; `not-spam` and `auth-failure` are not. */
const COMPLAINT_TYPES = new Set(['abuse', 'fraud', 'virus', 'other']);
const DETAIL_MAX = 500;

// Postgres text cannot hold NUL; a message may carry one anywhere.
// eslint-disable-next-line no-control-regex
const NUL = /\u0000/g;
export const clean = (value: string): string => value.replace(NUL, '\ufffd');

/**
 * Reads one inbound message: its header fields, and, for a
 * `multipart/report`, the delivery status notification (RFC 3464,
 * `report-type=delivery-status`) or abuse feedback report (RFC 5965 ARF,
 * `report-type=feedback-report`) it carries. With `plainBounce` (mail to a
 * `bounce+` address), any other message whose text quotes an SMTP or
 * enhanced status is read as a bounce (`readPlainBounce`). Never throws: a
 * message that cannot be read is `other` with the reason.
 */
export async function parseInbound(raw: Buffer, options: { plainBounce?: boolean } = {}): Promise<ParsedInbound> {
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(raw, {
      // Keeps message/delivery-status as a part of its own instead of merging it into the text.
      keepDeliveryStatus: true,
      skipHtmlToText: true,
      skipImageLinks: true,
      skipTextToHtml: true,
      skipTextLinks: true,
    });
  } catch (error) {
    return {
      messageId: null,
      from: null,
      subject: null,
      headers: [],
      report: { kind: 'other', reason: `the message cannot be parsed: ${(error as Error).message}` },
      searchText: [raw.toString('latin1')],
      fingerprint: bodyHash(raw),
    };
  }
  const headers = parsed.headerLines.map((h) => {
    const colon = h.line.indexOf(':');
    return {
      name: clean(colon >= 0 ? h.line.slice(0, colon) : h.key),
      value: clean((colon >= 0 ? h.line.slice(colon + 1) : '').replace(/\r?\n[ \t]+/g, ' ').trim()),
    };
  });
  const parts = parsed.attachments.map((a) => ({
    type: a.contentType.toLowerCase(),
    text: a.content.toString('utf8'),
  }));
  const messageId = parsed.messageId === undefined ? null : clean(parsed.messageId).slice(0, 998);
  let report = readReport(parsed, parts);
  if (report.kind === 'other' && options.plainBounce) report = readPlainBounce(parsed.text ?? '') ?? report;
  return {
    messageId,
    from: parsed.from?.text ? clean(parsed.from.text).slice(0, 998) : null,
    subject: parsed.subject === undefined ? null : clean(parsed.subject).slice(0, 998),
    headers,
    report,
    searchText: [...parts.map((p) => p.text), parsed.text ?? '', raw.toString('latin1')],
    fingerprint: messageId !== null ? `message-id:${messageId}` : bodyHash(raw),
  };
}

function readReport(parsed: ParsedMail, parts: { type: string; text: string }[]): ReportReading {
  const contentType = parsed.headers.get('content-type') as
    { value?: string; params?: Record<string, string> } | undefined;
  if (contentType?.value?.toLowerCase() !== 'multipart/report') {
    return {
      kind: 'other',
      reason: `not a report: the message is ${contentType?.value ?? 'text/plain'}, not multipart/report`,
    };
  }
  const reportType = contentType.params?.['report-type']?.toLowerCase() ?? '';
  if (reportType === 'delivery-status' || reportType === 'global-delivery-status') {
    const part = parts.find((p) => p.type === 'message/delivery-status' || p.type === 'message/global-delivery-status');
    if (part === undefined)
      return { kind: 'other', reason: 'a delivery-status report without its message/delivery-status part' };
    return readDeliveryStatus(part.text);
  }
  if (reportType === 'feedback-report') {
    const part = parts.find((p) => p.type === 'message/feedback-report');
    if (part === undefined)
      return { kind: 'other', reason: 'a feedback report without its message/feedback-report part' };
    return readFeedbackReport(part.text);
  }
  return { kind: 'other', reason: `a report of type "${reportType.slice(0, 100)}", which Herald does not read` };
}

/**
 * RFC 3464: a block of per-message fields, then one block per recipient,
 * separated by blank lines. A permanent failure (`failed`, status 5.x.x
 * other than a full mailbox) is a hard bounce; a delay, a full mailbox, or
 * a failure with a temporary status (4.x.x: the remote server gave up
 * retrying), is soft. Delivered,
 * relayed and expanded recipients ask for nothing.
 */
export function readDeliveryStatus(text: string): ReportReading {
  const blocks = fieldBlocks(text);
  const recipients: RecipientStatus[] = blocks
    .filter((b) => b.has('action'))
    .map((b) => ({
      recipient: addressOf(b.get('final-recipient') ?? b.get('original-recipient')),
      action: (b.get('action') ?? '').toLowerCase(),
      status: STATUS.test(b.get('status') ?? '') ? b.get('status')! : null,
      diagnostic: b.get('diagnostic-code')?.slice(0, DETAIL_MAX) ?? null,
    }));
  if (recipients.length === 0) {
    return { kind: 'other', reason: 'a delivery-status report with no recipient block (no Action field)' };
  }
  const hard = recipients.find((r) => r.action === 'failed' && permanent(r));
  const soft = recipients.find((r) => r.action === 'delayed' || (r.action === 'failed' && !permanent(r)));
  const decisive = hard ?? soft;
  return {
    kind: 'delivery-status',
    format: 'rfc3464',
    recipients,
    effect: hard !== undefined ? 'hard-bounce' : soft !== undefined ? 'soft-bounce' : null,
    detail:
      decisive === undefined
        ? `action ${recipients.map((r) => r.action).join(', ')}`
        : [decisive.status, decisive.diagnostic].filter((v) => v !== null).join(' ') || decisive.action,
  };
}

/** A failure is permanent by its status class, or, without a status, by a 5xx SMTP reply in its diagnostic. */
function permanent(r: RecipientStatus): boolean {
  if (r.status !== null) return isPermanent(r.status);
  const reply = /^smtp;\s*(5\d\d)\b/i.exec(r.diagnostic ?? '');
  return reply !== null && isPermanent(reply[1]);
}

/**
 * A status (enhanced `5.1.1` or a reply code `550`) that will not change by
 * trying again: 5, except a full mailbox (5.2.2, or 552 without an enhanced
 * status), which its owner may empty.
 */
function isPermanent(status: string): boolean {
  return status.startsWith('5') && status !== '5.2.2' && status !== '552';
}

/** `550 5.1.1`, `452-4.2.2`: an SMTP reply with its enhanced status, wherever it is quoted. */
const REPLY_WITH_STATUS = /\b[45]\d\d[ -]([45]\.\d{1,3}\.\d{1,3})(?![.\d])/;
/** An enhanced status alone: qmail's `(#5.1.1)`, or opening a line or following `said:` (`5.2.2 mailbox full`). */
const STATUS_ALONE = /(?:\(#|^[ \t]*|said:[ \t]*)([45]\.\d{1,3}\.\d{1,3})(?![.\d])/m;
/** An SMTP reply without an enhanced status where a server's answer is quoted: `said: 550 …`, `<<< 550 …`, `]: 550 …`. */
const REPLY_ALONE = /(?:said:|<<<|\]:)[ \t]*([45]\d\d)[ -](?![45]\.\d)/;

/**
 * A bounce in no standard format (qmail, Exim, old Sendmail write plain
 * text), read by the first SMTP or enhanced status it quotes: 4.x.x or
 * 4xx is soft, 5.x.x or 5xx hard, except a full mailbox (5.2.2, or 552
 * without an enhanced status), soft because it may be emptied. Null when
 * the text quotes none: what it is about is then left to a person.
 */
export function readPlainBounce(text: string): Extract<ReportReading, { kind: 'delivery-status' }> | null {
  const found = [REPLY_WITH_STATUS, STATUS_ALONE, REPLY_ALONE]
    .map((pattern) => pattern.exec(text))
    .filter((m) => m !== null)
    .sort((a, b) => a.index - b.index)[0];
  if (found === undefined) return null;
  const status = found[1];
  const permanent = isPermanent(status);
  const lineStart = text.lastIndexOf('\n', found.index) + 1;
  const lineEnd = text.indexOf('\n', found.index + found[0].length);
  const line = text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd).trim();
  return {
    kind: 'delivery-status',
    format: 'plain',
    recipients: [],
    effect: permanent ? 'hard-bounce' : 'soft-bounce',
    detail: clean(line).slice(0, DETAIL_MAX),
  };
}

/** RFC 5965: `Feedback-Type` says what the report is; abuse, fraud, virus and other are complaints. */
export function readFeedbackReport(text: string): ReportReading {
  const [fields] = fieldBlocks(text);
  const feedbackType = fields?.get('feedback-type')?.toLowerCase();
  if (feedbackType === undefined || feedbackType === '') {
    return { kind: 'other', reason: 'a feedback report without a Feedback-Type field' };
  }
  const type = feedbackType.slice(0, 100);
  return {
    kind: 'feedback-report',
    feedbackType: type,
    effect: COMPLAINT_TYPES.has(type) ? 'complaint' : null,
    detail: type,
  };
}

/** Header-style blocks separated by blank lines, folded lines joined; names lower-cased, the first value of each kept. */
function fieldBlocks(text: string): Map<string, string>[] {
  return text
    .replace(/\r\n/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((block) => {
      const fields = new Map<string, string>();
      for (const line of block.replace(/\n[ \t]+/g, ' ').split('\n')) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        if (!fields.has(name)) fields.set(name, clean(line.slice(colon + 1).trim()));
      }
      return fields;
    })
    .filter((fields) => fields.size > 0);
}

/** `rfc822; ada@example.com` → `ada@example.com`. */
function addressOf(value: string | undefined): string | null {
  if (value === undefined) return null;
  const semicolon = value.indexOf(';');
  const address = (semicolon >= 0 ? value.slice(semicolon + 1) : value).trim().replace(/^<|>$/g, '');
  return address === '' ? null : address.slice(0, 254);
}

function bodyHash(raw: Buffer): string {
  const end = raw.indexOf('\r\n\r\n');
  return `sha256:${createHash('sha256')
    .update(end >= 0 ? raw.subarray(end + 4) : raw)
    .digest('hex')}`;
}

/**
 * Message tokens a text names in the places Herald writes them: a VERP
 * return path (`bounce+<token>@`), the List-Unsubscribe mailto
 * (`unsubscribe+<token>@`), each with the token in hex or, in mail sent
 * before, base64url, and the Message-ID (`<m<id>.<token>@`, with the id it
 * must decrypt to). Each still has to verify.
 */
export function tokensIn(text: string): { token: string; id: string | null }[] {
  const found: { token: string; id: string | null }[] = [];
  for (const m of text.matchAll(/\b(?:bounce|unsubscribe)\+([0-9a-f]{32}|[A-Za-z0-9_-]{22})@/gi))
    found.push({ token: tokenOfVerp(m[1]), id: null });
  for (const m of text.matchAll(/<[a-z]{1,8}([1-9][0-9]{0,18})\.([A-Za-z0-9_-]{22})@/g)) {
    found.push({ token: m[2], id: m[1] });
  }
  return found;
}
