import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { fieldName, joinMessage, splitMessage } from './raw-message.js';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const TAB = 0x09;

/**
 * The body in DKIM "relaxed" canonical form (RFC 6376, 3.4.4): whitespace
 * runs become one space, whitespace at line ends goes, empty lines at the end
 * go, and a non-empty body ends in CRLF.
 */
export function relaxedBody(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(body.length + 2);
  let o = 0;
  let space = false;
  for (let i = 0; i < body.length; i += 1) {
    const b = body[i];
    if (b === SP || b === TAB) {
      space = true;
    } else if (b === CR && body[i + 1] === LF) {
      out[o++] = CR;
      out[o++] = LF;
      space = false;
      i += 1;
    } else {
      if (space) out[o++] = SP;
      space = false;
      out[o++] = b;
    }
  }
  if (o === 0) return out.subarray(0, 0);
  if (!(out[o - 2] === CR && out[o - 1] === LF)) {
    out[o++] = CR;
    out[o++] = LF;
  }
  while (o >= 4 && out[o - 4] === CR && out[o - 3] === LF && out[o - 2] === CR && out[o - 1] === LF) o -= 2;
  return out.subarray(0, o);
}

/** A header field (`Name: value`, maybe folded) in DKIM "relaxed" form, without its line end. */
export function relaxedHeader(field: string): string {
  const colon = field.indexOf(':');
  const name = field.slice(0, colon).trim().toLowerCase();
  const value = field
    .slice(colon + 1)
    .replace(/\r\n/g, '')
    .replace(/[ \t]+/g, ' ')
    .trim();
  return `${name}:${value}`;
}

/**
 * Fields signed on a message someone else composed (the relay's), when
 * present: what a recipient reads and what tells how to read the body.
 */
const RAW_SIGNED_FIELDS = [
  'from',
  'to',
  'cc',
  'reply-to',
  'subject',
  'date',
  'message-id',
  'in-reply-to',
  'references',
  'list-unsubscribe',
  'list-unsubscribe-post',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
];

export interface DkimKey {
  domain: string;
  selector: string;
  privateKey: string;
}

/**
 * rsa-sha256, relaxed/relaxed. The key is parsed once; each message costs a
 * body hash and one signature.
 */
export class DkimSigner {
  private readonly key: KeyObject;

  constructor(private readonly options: DkimKey) {
    this.key = createPrivateKey(options.privateKey);
  }

  /**
   * The `DKIM-Signature` field (folded, no line end) over `fields` (each a
   * complete header field without its line end) and the body.
   */
  signature(fields: string[], body: Buffer, date: Date): string {
    const names = fields.map((f) => f.slice(0, f.indexOf(':')).toLowerCase());
    const bodyHash = createHash('sha256').update(relaxedBody(body)).digest('base64');
    const unsigned =
      `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=${this.options.domain};\r\n` +
      ` s=${this.options.selector}; t=${Math.floor(date.getTime() / 1000)};\r\n` +
      ` h=${names.join(':')};\r\n bh=${bodyHash};\r\n b=`;
    const signed = fields.map((f) => `${relaxedHeader(f)}\r\n`).join('') + relaxedHeader(unsigned);
    const b = sign('sha256', Buffer.from(signed, 'utf8'), this.key).toString('base64');
    return unsigned + (b.match(/.{1,72}/g) ?? []).join('\r\n ');
  }

  /**
   * A complete CRLF message (a relayed one) with a `DKIM-Signature` on top.
   * Of a field that occurs more than once the last is signed, as a verifier
   * reads `h=` from the bottom up. Null when the header cannot be parsed.
   */
  signRaw(raw: Buffer, date: Date): Buffer | null {
    const parts = splitMessage(raw);
    if (parts === null) return null;
    const last = new Map<string, string>();
    for (const field of parts.fields) last.set(fieldName(field), field);
    const signed = RAW_SIGNED_FIELDS.flatMap((name) => {
      const field = last.get(name);
      return field === undefined ? [] : [field];
    });
    return joinMessage([this.signature(signed, parts.body, date), ...parts.fields], parts.body);
  }
}
