import { randomBytes } from 'node:crypto';
import { ID_PATTERN, invalid } from '@herald/common';
import { DkimSigner } from './dkim.js';
import { isSafeAddress, mailbox, stripControls, unstructured } from './headers.js';
import { encodeQuotedPrintable } from './quoted-printable.js';

export interface SkeletonOptions {
  from: { email: string; name: string | null };
  replyTo: string | null;
  /** Domain of Message-ID and of the VERP return path / mailto unsubscribe (default: the From domain). */
  domain: string;
  feedbackId: string; // e.g. `${campaignId}:${senderId}:campaign:herald`
  dkim: { domain: string; selector: string; privateKey: string } | null;
  /**
   * First letter(s) of the Message-ID's local part, telling the kinds of
   * message apart (`m`: a campaign's `messages` row, the default). Lower-case letters only.
   */
  idPrefix?: string;
}

export interface RecipientParts {
  messageId: string; // messages.id
  token: string; // RenderedMessage.token
  to: string; // the contact's address (checked: no CR/LF, valid)
  toName?: string | null;
  subject: string;
  html: string;
  text: string;
  /**
   * https URL under the token (PUBLIC_URL/u/<token>): marketing mail carries
   * List-Unsubscribe with it and RFC 8058's one-click header. Absent for a
   * message that is no list mail (a sign-up confirmation, a relayed message).
   */
  unsubscribeUrl?: string;
}

const TOKEN = /^[A-Za-z0-9_-]{1,200}$/;
/** A URL fit for an angle-bracketed header value: printable ASCII without spaces or brackets. */
const HEADER_URL = /^https?:\/\/[\x21-\x3b\x3d\x3f-\x7e]+$/;
const DOMAIN = /^[A-Za-z0-9.-]+$/;
const ID_PREFIX = /^[a-z]{1,8}$/;

/** The local parts Herald's own mail returns to, each followed by `+<message token>` (VERP). */
export type VerpKind = 'bounce' | 'unsubscribe';

/** A message token (`MessageTokens`): 16 bytes, base64url, in its one canonical spelling. */
const MESSAGE_TOKEN = /^[A-Za-z0-9_-]{22}$/;
const HEX_TOKEN = /^[0-9a-f]{32}$/i;

/**
 * `bounce+<token>@<domain>` (the envelope sender) or
 * `unsubscribe+<token>@<domain>` (List-Unsubscribe's mailto), the token's
 * 16 bytes written as lowercase hex: some servers change the case of a
 * return path's local part, which base64url does not survive.
 */
export function verpAddress(kind: VerpKind, token: string, domain: string): string {
  const bytes = MESSAGE_TOKEN.test(token) ? Buffer.from(token, 'base64url') : null;
  if (bytes?.toString('base64url') !== token) {
    throw invalid('The message token is not valid', { token: 'invalid' });
  }
  if (!DOMAIN.test(domain)) throw invalid('The message domain is not valid', { domain: 'invalid' });
  return `${kind}+${bytes.toString('hex')}@${domain}`;
}

/**
 * The message token a VERP local part carries: hex in any case, as
 * `verpAddress` writes it, back to base64url; anything else as it is (the
 * base64url tokens of mail sent before, matched case and all).
 */
export function tokenOfVerp(value: string): string {
  return HEX_TOKEN.test(value) ? Buffer.from(value, 'hex').toString('base64url') : value;
}

/**
 * The kind, token and domain of an address `verpAddress` wrote, or null for
 * any other address. The token is only shaped like one: whether it is
 * genuine is for `MessageTokens.verify` to say.
 */
export function parseVerp(address: string): { kind: VerpKind; token: string; domain: string } | null {
  const match = /^(bounce|unsubscribe)\+([A-Za-z0-9_-]{1,200})@([A-Za-z0-9.-]+)$/i.exec(address.trim());
  if (match === null) return null;
  return { kind: match[1].toLowerCase() as VerpKind, token: tokenOfVerp(match[2]), domain: match[3].toLowerCase() };
}

/**
 * The domain of a sender's Message-IDs, VERP return path (the envelope
 * sender, which SPF checks) and mailto unsubscribe: the From domain, so SPF
 * aligns with From whenever it passes.
 */
export function messageDomain(fromEmail: string): string {
  return fromEmail.slice(fromEmail.lastIndexOf('@') + 1);
}

/** RFC 5322 date in UTC (`+0000`, not the obsolete `GMT`). */
const rfc5322Date = (date: Date) => date.toUTCString().replace(/GMT$/, '+0000');

/**
 * A sender's MIME message for one kind of mail, built once (a campaign's, or
 * `MessageDispatch`'s for single messages): everything a recipient does not
 * change (From, Reply-To, Feedback-ID, the boundary, the DKIM key) is fixed
 * here, and `build` fills in the recipient's headers and bodies.
 */
export class MessageSkeleton {
  private readonly domain: string;
  private readonly idPrefix: string;
  private readonly boundary: string;
  private readonly fromField: string;
  private readonly replyToField: string | null;
  private readonly feedbackField: string;
  private readonly contentTypeField: string;
  private readonly textHead: Buffer;
  private readonly htmlHead: Buffer;
  private readonly tail: Buffer;
  private readonly signer: DkimSigner | null;

  constructor(options: SkeletonOptions) {
    if (!isSafeAddress(options.from.email)) throw invalid('The sender address is not valid', { fromEmail: 'invalid' });
    if (options.replyTo !== null && !isSafeAddress(options.replyTo)) {
      throw invalid('The reply-to address is not valid', { replyTo: 'invalid' });
    }
    const domain = options.domain || messageDomain(options.from.email);
    if (!DOMAIN.test(domain)) throw invalid('The message domain is not valid', { domain: 'invalid' });
    this.domain = domain;
    this.idPrefix = options.idPrefix ?? 'm';
    if (!ID_PREFIX.test(this.idPrefix)) throw invalid('The Message-ID prefix is not valid', { idPrefix: 'invalid' });
    // `=_` cannot occur in quoted-printable output: `=` there is always followed by hex digits or a line end.
    this.boundary = `=_herald_${randomBytes(12).toString('hex')}`;
    this.fromField = `From: ${mailbox(options.from.email, options.from.name)}`;
    this.replyToField = options.replyTo === null ? null : `Reply-To: <${options.replyTo}>`;
    this.feedbackField = `Feedback-ID: ${stripControls(options.feedbackId)}`;
    this.contentTypeField = `Content-Type: multipart/alternative;\r\n boundary="${this.boundary}"`;
    const partHead = (type: string) =>
      Buffer.from(
        `--${this.boundary}\r\nContent-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n`,
      );
    this.textHead = partHead('text/plain');
    this.htmlHead = Buffer.concat([Buffer.from('\r\n'), partHead('text/html')]);
    this.tail = Buffer.from(`\r\n--${this.boundary}--\r\n`);
    this.signer = options.dkim === null ? null : new DkimSigner(options.dkim);
  }

  /** The full RFC 5322 message, CRLF line ends, DKIM-signed when the sender has a key. */
  build(parts: RecipientParts, date: Date = new Date()): Buffer {
    if (!ID_PATTERN.test(parts.messageId)) throw invalid('The message id is not valid', { messageId: 'invalid' });
    if (!TOKEN.test(parts.token)) throw invalid('The message token is not valid', { token: 'invalid' });
    if (!isSafeAddress(parts.to)) throw invalid('The recipient address is not valid', { to: 'invalid' });
    if (parts.unsubscribeUrl !== undefined && !HEADER_URL.test(parts.unsubscribeUrl)) {
      throw invalid('The unsubscribe URL is not valid', { unsubscribeUrl: 'invalid' });
    }
    const fields = [
      this.fromField,
      `To: ${mailbox(parts.to, parts.toName)}`,
      unstructured('Subject', parts.subject),
      `Date: ${rfc5322Date(date)}`,
      `Message-ID: <${this.idPrefix}${parts.messageId}.${parts.token}@${this.domain}>`,
      ...(this.replyToField === null ? [] : [this.replyToField]),
      ...(parts.unsubscribeUrl === undefined
        ? []
        : [
            `List-Unsubscribe: <${parts.unsubscribeUrl}>,\r\n <mailto:${verpAddress('unsubscribe', parts.token, this.domain)}>`,
            'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
          ]),
      this.feedbackField,
      'MIME-Version: 1.0',
      this.contentTypeField,
    ];
    const body = Buffer.concat([
      this.textHead,
      encodeQuotedPrintable(parts.text),
      this.htmlHead,
      encodeQuotedPrintable(parts.html),
      this.tail,
    ]);
    if (this.signer !== null) fields.unshift(this.signer.signature(fields, body, date));
    return Buffer.concat([Buffer.from(`${fields.join('\r\n')}\r\n\r\n`, 'utf8'), body]);
  }

  /** The VERP envelope sender: bounce+<token>@<domain>. */
  returnPath(token: string): string {
    return verpAddress('bounce', token, this.domain);
  }
}
