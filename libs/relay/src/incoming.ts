import { randomBytes } from 'node:crypto';
import { domainOf } from '@herald/contacts';
import { fieldName, fieldValue, isSafeAddress, joinMessage, splitMessage } from '@herald/delivery';
import addressparser from 'nodemailer/lib/addressparser';

/** A message as the relay keeps and sends it, and what it says about itself. */
export interface IncomingMessage {
  /** CRLF line ends throughout, no Bcc or Return-Path, a Date and a Message-ID. */
  raw: Buffer;
  /** The one address of the From field. */
  from: string;
  fromDomain: string;
  subject: string | null;
  messageId: string;
}

/** Why a message is refused, as an SMTP reply (the HTTP API maps it to a 4xx). */
export class RefusedMessage extends Error {
  constructor(
    readonly code: number,
    readonly enhanced: string,
    message: string,
  ) {
    super(message);
  }
}

/** Fields the relay drops: Bcc would show the hidden recipients, Return-Path is the receiver's to write. */
const DROPPED = new Set(['bcc', 'return-path']);

/**
 * The data of an SMTP transaction (or a message the API composed) made fit
 * to store and send. A line of a single dot next to a bare LF or CR is the
 * mark of SMTP smuggling (a second message hidden in the first, for a
 * server that ends the data there) and refuses the message; any other bare
 * LF or CR becomes CRLF, so what goes out cannot be read two ways.
 */
export function prepareIncoming(data: Buffer, now: Date): IncomingMessage {
  const raw = normaliseLineEnds(data);
  const parts = splitMessage(raw);
  if (parts === null || parts.fields.length === 0) {
    throw new RefusedMessage(550, '5.6.0', 'The message header cannot be parsed');
  }
  const named = parts.fields.map((field) => ({ field, name: fieldName(field) }));
  const kept = named.filter((f) => !DROPPED.has(f.name));
  const fromFields = kept.filter((f) => f.name === 'from');
  if (fromFields.length !== 1) throw new RefusedMessage(550, '5.6.0', 'The message must have exactly one From field');
  const mailboxes = addressparser(fieldValue(fromFields[0].field), { flatten: true });
  const from = mailboxes.length === 1 ? mailboxes[0].address : '';
  if (!isSafeAddress(from)) {
    throw new RefusedMessage(550, '5.6.0', 'The From field must hold exactly one valid address');
  }
  const fromDomain = domainOf(from);
  const fields = kept.map((f) => f.field);
  if (!kept.some((f) => f.name === 'date')) fields.push(`Date: ${now.toUTCString().replace(/GMT$/, '+0000')}`);
  let messageId = kept.find((f) => f.name === 'message-id')?.field;
  if (messageId === undefined) {
    messageId = `Message-ID: <r${randomBytes(12).toString('hex')}@${fromDomain}>`;
    fields.push(messageId);
  }
  const subject = kept.find((f) => f.name === 'subject')?.field;
  const untouched = kept.length === named.length && fields.length === kept.length;
  return {
    raw: untouched && isJoinedAs(raw, fields, parts.body) ? raw : joinMessage(fields, parts.body),
    from,
    fromDomain,
    subject: subject === undefined ? null : fieldValue(subject).slice(0, 998),
    messageId: fieldValue(messageId).slice(0, 998),
  };
}

/**
 * Whether `raw` already reads as `joinMessage(fields, body)` would write it,
 * for fields split from it (latin1, a byte a character), none dropped or
 * added: then the lengths agree unless the split skipped something.
 */
function isJoinedAs(raw: Buffer, fields: string[], body: Buffer): boolean {
  const headLength = fields.reduce((sum, field) => sum + field.length + 2, 0) + 2;
  return headLength + body.length === raw.length;
}

/** Every line end as CRLF; refuses a lone dot on a line next to a bare LF or CR. */
export function normaliseLineEnds(data: Buffer): Buffer {
  const text = data.toString('latin1');
  // Fast path: no CR or LF outside CRLF pairs.
  if (!/\r(?!\n)|(?<!\r)\n/.test(text)) return data;
  const pieces = text.split(/(\r\n|\r|\n)/);
  // pieces: line, ending, line, ending, ..., line
  for (let i = 0; i < pieces.length; i += 2) {
    if (pieces[i] !== '.') continue;
    const before = i === 0 ? '\r\n' : pieces[i - 1];
    const after = pieces[i + 1] ?? '\r\n';
    if (before !== '\r\n' || after !== '\r\n') {
      throw new RefusedMessage(
        550,
        '5.5.2',
        'A line holding a single dot next to a bare LF or CR is refused (SMTP smuggling); end lines with CRLF',
      );
    }
  }
  let out = '';
  for (let i = 0; i < pieces.length; i += 2) out += pieces[i] + (i + 1 < pieces.length ? '\r\n' : '');
  return Buffer.from(out, 'latin1');
}
