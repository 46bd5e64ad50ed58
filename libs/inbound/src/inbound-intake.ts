import { AppSecret, Db, HERALD_CONFIG, type HeraldConfig, MessageTokens, type Sql } from '@herald/common';
import { domainOf, SuppressionsService } from '@herald/contacts';
import { Outbox, parseVerp, SendersService, type StoredMessage } from '@herald/delivery';
import { MailFeedback, UnsubscribeService } from '@herald/tracking';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  CLAIM_EFFECT,
  EARLIER_EFFECT,
  INSERT_INBOUND_MESSAGE,
  LOCK_FINGERPRINT,
  PROCESSED_WITH_FINGERPRINT,
  SET_OUTCOME,
  TRIM_INBOUND_MESSAGES,
} from './inbound.sql.js';
import {
  clean,
  type InboundEffect,
  type InboundKind,
  type ParsedInbound,
  parseInbound,
  type ReportReading,
  tokensIn,
} from './report-parser.js';

/** What became of an inbound message. */
export const INBOUND_OUTCOMES = ['processed', 'duplicate', 'unmatched', 'unparseable'] as const;
export type InboundOutcome = (typeof INBOUND_OUTCOMES)[number];

/**
 * Local parts that take reports without a token: feedback loops send to
 * one registered address (`complaints@<bounce domain>`), and RFC 5321
 * requires `postmaster`. Their reports are matched by the message they
 * return.
 */
export const FEEDBACK_LOCAL_PARTS = ['complaints', 'postmaster'];

/** The most of one message kept for inspection; the rest is cut (the listener's size limit is separate). */
export const STORED_RAW_MAX = 1024 * 1024;

export interface InboundEnvelope {
  remoteAddress: string | null;
  /** MAIL FROM; null for the null sender `<>` bounces come from. */
  from: string | null;
  to: string[];
}

interface Decision {
  outcome: InboundOutcome;
  effect: InboundEffect | null;
  reason: string;
}

type Match = { message: StoredMessage } | { message: null; reason: string };

const localPartOf = (address: string) => address.slice(0, address.lastIndexOf('@')).toLowerCase();

/**
 * Turns what arrives at the bounce domain into what it means: a hard
 * bounce marks the message bounced (with its counters), suppresses the
 * address and records a `bounce` event; a soft bounce records the event
 * only; a complaint records a `complaint` event, counts it in the
 * campaign's report and suppresses the address; mail to the List-Unsubscribe
 * address unsubscribes as the one-click link does. Every message is stored
 * with its outcome before the listener answers 250, whatever it was, so
 * nothing is dropped unseen. The same report twice, or a second report of
 * the same bounce or complaint, counts once.
 */
@Injectable()
export class InboundIntake {
  private readonly logger = new Logger('Inbound');
  private messageTokens: MessageTokens | undefined;
  private readonly domains: Set<string> | null;

  constructor(
    private readonly db: Db,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly secret: AppSecret,
    private readonly outbox: Outbox,
    private readonly feedback: MailFeedback,
    private readonly suppressions: SuppressionsService,
    private readonly unsubscribes: UnsubscribeService,
    private readonly senders: SendersService,
  ) {
    const configured = config.HERALD_INBOUND_DOMAINS;
    this.domains = configured === undefined ? null : new Set(configured.toLowerCase().split(','));
  }

  /**
   * Whether the listener takes mail for `address`: a VERP address (`bounce+`
   * or `unsubscribe+` and a token) or a feedback address, at a domain
   * Herald receives for (HERALD_INBOUND_DOMAINS, else a sender's domain).
   * Nothing else, so the listener is never a relay.
   */
  async accepts(address: string): Promise<boolean> {
    if (!address.includes('@')) return false;
    if (parseVerp(address) === null && !FEEDBACK_LOCAL_PARTS.includes(localPartOf(address))) return false;
    const domain = domainOf(address);
    if (this.domains !== null) return this.domains.has(domain);
    return (await this.senders.forDomain(domain)).length > 0;
  }

  /** Reads, acts on and stores one message; returns its `inbound_messages` id. */
  async receive(envelope: InboundEnvelope, raw: Buffer): Promise<string> {
    const recipient = envelope.to[0] ?? '';
    const verp = parseVerp(recipient);
    const parsed = await parseInbound(raw, { plainBounce: verp?.kind === 'bounce' });
    const fingerprint = `${recipient.toLowerCase()}|${parsed.fingerprint}`;
    const store = (tx: Sql, kind: InboundKind, decision: Decision, matched: string | null) =>
      this.insert(tx, envelope, raw, parsed, fingerprint, kind, decision, matched);

    let kind: InboundKind;
    let decision: Decision;
    let id: string;
    if (verp?.kind === 'unsubscribe') {
      const message = await this.messageFor(verp.token);
      kind = 'unsubscribe';
      decision = await this.unsubscribe(message);
      id = await store(this.db, kind, decision, message?.id ?? null);
    } else if (parsed.report.kind === 'other') {
      kind = 'other';
      decision = { outcome: 'unparseable', effect: null, reason: parsed.report.reason };
      id = await store(this.db, kind, decision, null);
    } else {
      const report = parsed.report;
      kind = report.kind;
      const match = await this.match(verp?.token ?? null, parsed);
      if (match.message === null) {
        decision = { outcome: 'unmatched', effect: null, reason: match.reason };
        id = await store(this.db, kind, decision, null);
      } else {
        const message = match.message;
        [id, decision] = await this.db.transaction(async (tx): Promise<[string, Decision]> => {
          await tx.rows(LOCK_FINGERPRINT, [fingerprint]);
          const earlier = await tx.maybeOne<{ id: string }>(PROCESSED_WITH_FINGERPRINT, [fingerprint]);
          if (earlier !== undefined) {
            const duplicate: Decision = {
              outcome: 'duplicate',
              effect: null,
              reason: `the same report as inbound message ${earlier.id}: counted there`,
            };
            return [await store(tx, report.kind, duplicate, message.id), duplicate];
          }
          const pending: Decision = { outcome: 'processed', effect: null, reason: 'being processed' };
          const stored = await store(tx, report.kind, pending, message.id);
          const applied = await this.apply(tx, stored, message, report);
          await tx.execute(SET_OUTCOME, [
            stored,
            applied.outcome,
            applied.effect,
            clean(applied.reason).slice(0, 1000),
          ]);
          return [stored, applied];
        });
      }
    }
    await this.db.execute(TRIM_INBOUND_MESSAGES, [this.config.HERALD_INBOUND_MAX_MESSAGES]);
    this.logger.log({ inboundId: id, kind, outcome: decision.outcome, effect: decision.effect }, 'inbound.received');
    return id;
  }

  /** What a matched report does to its message, in the transaction that stores the report. */
  private async apply(
    tx: Sql,
    inboundId: string,
    message: StoredMessage,
    report: Exclude<ReportReading, { kind: 'other' }>,
  ): Promise<Decision> {
    if (report.effect === null) {
      const reason =
        report.kind === 'delivery-status'
          ? `nothing to do: ${report.detail}`
          : `feedback type "${report.feedbackType}" is not a complaint`;
      return { outcome: 'processed', effect: null, reason };
    }
    if (message.isTest) return { outcome: 'processed', effect: null, reason: 'a test send: nothing is recorded' };
    const effect = report.effect;
    if (effect !== 'soft-bounce') {
      const claimed = await tx.maybeOne(CLAIM_EFFECT, [message.id, effect, inboundId]);
      if (claimed === undefined) {
        const earlier = await tx.one<{ inbound_message_id: string }>(EARLIER_EFFECT, [message.id, effect]);
        const reason = `the ${effect} of this message was recorded by inbound message ${earlier.inbound_message_id}`;
        return { outcome: 'duplicate', effect: null, reason };
      }
    }
    switch (effect) {
      case 'hard-bounce':
        await this.outbox.markBouncedAfterSent(tx, message.id, `bounce report: ${report.detail}`.slice(0, 500));
        await this.feedback.bounce(tx, message, true, report.detail);
        await this.suppressions.suppress(tx, message.email, 'bounced', `bounce report: ${report.detail}`.slice(0, 500));
        return { outcome: 'processed', effect, reason: `hard bounce: ${report.detail}` };
      case 'soft-bounce':
        await this.feedback.bounce(tx, message, false, report.detail);
        return { outcome: 'processed', effect, reason: `soft bounce, the address stays: ${report.detail}` };
      case 'complaint':
        await this.feedback.complaint(tx, message, report.detail);
        await this.suppressions.suppress(tx, message.email, 'complained', `feedback report (${report.detail})`);
        return { outcome: 'processed', effect, reason: `complaint (feedback type ${report.detail})` };
    }
  }

  /** Mail to `unsubscribe+<token>@`: the one-click unsubscribe, whatever the mail says. */
  private async unsubscribe(message: StoredMessage | null): Promise<Decision> {
    if (message === null) {
      return {
        outcome: 'unmatched',
        effect: null,
        reason: 'the unsubscribe address names no message Herald sent (forged, altered or deleted)',
      };
    }
    if (message.isTest) return { outcome: 'processed', effect: null, reason: 'a test send: nothing changes' };
    const counted = await this.unsubscribes.unsubscribeAll(message, 'mail', undefined);
    return {
      outcome: 'processed',
      effect: 'unsubscribe',
      reason: counted ? 'unsubscribed from all marketing mail' : 'the address was suppressed already',
    };
  }

  /**
   * The message a report is about: the one its envelope recipient's token
   * names; for a report to a feedback address, the one token found in the
   * message it returns (its return path, Message-ID or List-Unsubscribe).
   * A bad envelope token is not looked past: that address was never ours.
   */
  private async match(envelopeToken: string | null, parsed: ParsedInbound): Promise<Match> {
    if (envelopeToken !== null) {
      const message = await this.messageFor(envelopeToken);
      return message === null
        ? { message: null, reason: 'the return path names no message Herald sent (forged, altered or deleted)' }
        : { message };
    }
    const ids = new Set<string>();
    for (const text of parsed.searchText) {
      for (const { token, id } of tokensIn(text)) {
        const verified = this.tokens().verify(token);
        if (verified !== null && (id === null || id === verified)) ids.add(verified);
      }
    }
    if (ids.size > 1) return { message: null, reason: `the report names ${ids.size} different messages` };
    const [id] = ids;
    const message = id === undefined ? undefined : (await this.outbox.find([id])).get(id);
    return message === undefined
      ? { message: null, reason: 'no message Herald sent was found in the report (no valid token in its headers)' }
      : { message };
  }

  private async messageFor(token: string): Promise<StoredMessage | null> {
    const id = this.tokens().verify(token);
    if (id === null) return null;
    return (await this.outbox.find([id])).get(id) ?? null;
  }

  private async insert(
    m: Sql,
    envelope: InboundEnvelope,
    raw: Buffer,
    parsed: ParsedInbound,
    fingerprint: string,
    kind: InboundKind,
    decision: Decision,
    matched: string | null,
  ): Promise<string> {
    const report = parsed.report.kind === 'other' ? null : JSON.stringify(parsed.report);
    const { id } = await m.one<{ id: string }>(INSERT_INBOUND_MESSAGE, [
      envelope.remoteAddress,
      envelope.from === null ? null : clean(envelope.from),
      envelope.to.map(clean),
      parsed.messageId,
      parsed.from,
      parsed.subject,
      kind,
      decision.outcome,
      decision.effect,
      clean(decision.reason).slice(0, 1000),
      matched,
      report,
      JSON.stringify(parsed.headers),
      fingerprint,
      raw.subarray(0, STORED_RAW_MAX),
      raw.length,
      raw.length > STORED_RAW_MAX,
    ]);
    return id;
  }

  /** Built on first use: the secret is only known once the modules have initialised. */
  private tokens(): MessageTokens {
    this.messageTokens ??= new MessageTokens(this.secret.value);
    return this.messageTokens;
  }
}
