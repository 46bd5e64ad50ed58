import { createHash } from 'node:crypto';
import { Clock } from '@herald/common';
import { Injectable, Logger } from '@nestjs/common';
import { DkimSigner } from '../mime/dkim.js';
import { MessageSkeleton, messageDomain, type RecipientParts } from '../mime/message-skeleton.js';
import { type SendOutcome, SenderPool } from '../pool/sender-pool.js';
import type { DkimKey, SendingSender } from '../senders/sender.js';
import { SendersService } from '../senders/senders.service.js';
import { nextLocalMidnight } from '../throttle/local-day.js';
import { type Reservation, Throttle } from '../throttle/throttle.js';

/** What kind of mail a dispatch sends, fixed per caller: it names the mail in Feedback-ID and Message-ID. */
export interface DispatchKind {
  /** Feedback-ID (RFC-less but read by Gmail and others): `<a>:<b>:<kind>:herald`. */
  feedbackId: string;
  /** Message-ID prefix, lower-case letters (see `SkeletonOptions.idPrefix`). */
  idPrefix: string;
  /**
   * Envelope sender: `verp` for `bounce+<token>@<domain>` (the token then
   * finds the message when a bounce comes back), `from` for the sender's own address.
   */
  returnPath: 'verp' | 'from';
}

export type DispatchOutcome =
  | SendOutcome
  /** The sender's daily quota is spent; nothing was attempted. */
  | { kind: 'quota_exhausted'; resumesAt: Date }
  /** The message cannot be built (an address unfit for a header, a bad URL); nothing was attempted. */
  | { kind: 'unbuildable'; reason: string }
  /** `signal` fired while waiting for the throttle slot; the slot went back to the quota. */
  | { kind: 'aborted' };

/** When a message may go, or why it may not today. */
type Slot = { kind: 'granted'; at: number } | { kind: 'quota_exhausted'; resumesAt: Date };

/** A 421/454 halves the sender's rate for a minute, as for campaigns. */
const SLOW_DOWN = { factor: 0.5, forMs: 60_000 };
/** Skeletons kept per process; one per sender and kind in practice. */
const MAX_SKELETONS = 200;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Sends one message through one sender, within the same limits as a
 * campaign: waits for the sender's throttle slot (its rate, across all
 * processes) and counts it toward the daily quota, builds the MIME message
 * with DKIM when the sender has a key (`MessageSkeleton`), hands it to
 * `SenderPool` and returns the classified outcome. Knows no campaign, list
 * or form: sign-up confirmations use it, the SMTP relay and the transactional
 * API are meant to. The caller owns the row that makes the message durable
 * and records the outcome on it; this only takes a failing sender out (as the
 * campaign deliverer does) and slows one that asked for it.
 */
@Injectable()
export class MessageDispatch {
  private readonly logger = new Logger('Delivery');
  private readonly skeletons = new Map<string, MessageSkeleton>();
  private readonly signers = new Map<string, DkimSigner>();
  private readonly waitingForSlots = new Map<
    string,
    { resolve: (slot: Slot) => void; reject: (error: unknown) => void }[]
  >();

  constructor(
    private readonly clock: Clock,
    private readonly throttle: Throttle,
    private readonly pool: SenderPool,
    private readonly senders: SendersService,
  ) {}

  async send(
    sender: SendingSender,
    kind: DispatchKind,
    message: RecipientParts,
    signal?: AbortSignal,
  ): Promise<DispatchOutcome> {
    let raw: Buffer;
    let skeleton: MessageSkeleton;
    try {
      skeleton = this.skeleton(sender, kind);
      raw = skeleton.build(message, new Date(this.clock.now()));
    } catch (error) {
      return { kind: 'unbuildable', reason: (error as Error).message };
    }
    const from = kind.returnPath === 'verp' ? skeleton.returnPath(message.token) : sender.fromEmail;
    return this.deliver(sender, { from, to: message.to }, raw, signal);
  }

  /**
   * Sends a message someone else composed (the relay's, the transactional
   * API's) as it is, with the sender's DKIM signature added on top when the
   * sender has a key, within the same throttle slot and quota as `send`.
   */
  async sendRaw(
    sender: SendingSender,
    envelope: { from: string; to: string },
    raw: Buffer,
    signal?: AbortSignal,
  ): Promise<DispatchOutcome> {
    let signed = raw;
    if (sender.dkim !== null) {
      let signer: DkimSigner;
      try {
        signer = this.signer(sender.dkim);
      } catch (error) {
        return { kind: 'unbuildable', reason: `the sender's DKIM key does not load: ${(error as Error).message}` };
      }
      const result = signer.signRaw(raw, new Date(this.clock.now()));
      if (result === null) return { kind: 'unbuildable', reason: 'the message header cannot be parsed' };
      signed = result;
    }
    return this.deliver(sender, envelope, signed, signal);
  }

  /** Waits for the sender's slot, counted toward its day, then hands the message to the pool. */
  private async deliver(
    sender: SendingSender,
    envelope: { from: string; to: string },
    raw: Buffer,
    signal?: AbortSignal,
  ): Promise<DispatchOutcome> {
    const slot = await this.slot(sender);
    if (slot.kind === 'quota_exhausted') return slot;
    for (;;) {
      const wait = slot.at - this.clock.now();
      if (signal?.aborted) {
        await this.throttle.refund(sender, 1);
        return { kind: 'aborted' };
      }
      if (wait <= 0) break;
      await sleep(wait, signal);
    }
    const outcome = await this.pool.send(sender, envelope, raw);
    if (outcome.kind === 'deferred' && outcome.slowDown) {
      await this.throttle.slowDown(sender.id, SLOW_DOWN.factor, SLOW_DOWN.forMs);
    } else if (outcome.kind === 'sender_failed') {
      await this.senders.disable(sender.id, outcome.reason);
      await this.pool.close(sender.id).catch(() => undefined);
      this.logger.warn({ senderId: sender.id, reason: outcome.reason }, 'dispatch.sender_removed');
    }
    return outcome;
  }

  /**
   * One throttle slot of `sender`'s, counted toward its day. The messages
   * of one sender dispatched in the same turn of the event loop (a batch a
   * worker claimed) share one reservation: the slots are the same, the
   * round trips to Redis fewer.
   */
  private slot(sender: SendingSender): Promise<Slot> {
    return new Promise((resolve, reject) => {
      const waiting = this.waitingForSlots.get(sender.id);
      if (waiting !== undefined) return void waiting.push({ resolve, reject });
      this.waitingForSlots.set(sender.id, [{ resolve, reject }]);
      setImmediate(() => void this.grantSlots(sender));
    });
  }

  /** One reservation for every message of `sender` that waits for a slot; those past the day's quota are told so. */
  private async grantSlots(sender: SendingSender): Promise<void> {
    const waiters = this.waitingForSlots.get(sender.id) ?? [];
    this.waitingForSlots.delete(sender.id);
    let reservation: Reservation;
    try {
      reservation = await this.throttle.reserve(sender, waiters.length);
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
      return;
    }
    // Finding the zone's next midnight takes dozens of date formattings: only for messages past the quota.
    let resumesAt: Date | undefined;
    const resumes = () =>
      (resumesAt ??=
        reservation.kind === 'quota_exhausted'
          ? reservation.resumesAt
          : nextLocalMidnight(this.clock.now(), sender.timeZone));
    waiters.forEach((waiter, i) =>
      waiter.resolve(
        reservation.kind === 'granted' && i < reservation.count
          ? { kind: 'granted', at: reservation.startAt + i * reservation.spacingMs }
          : { kind: 'quota_exhausted', resumesAt: resumes() },
      ),
    );
  }

  /** A signer per key: the key is parsed once, not per message. */
  private signer(key: DkimKey): DkimSigner {
    const id = createHash('sha256')
      .update(JSON.stringify([key.domain, key.selector, key.privateKey]))
      .digest('hex');
    let signer = this.signers.get(id);
    if (signer === undefined) {
      signer = new DkimSigner(key);
      if (this.signers.size >= MAX_SKELETONS) this.signers.clear();
      this.signers.set(id, signer);
    }
    return signer;
  }

  /** A skeleton per sender, kind and sender settings: the DKIM key is parsed once, not per message. */
  private skeleton(sender: SendingSender, kind: DispatchKind): MessageSkeleton {
    const key = createHash('sha256')
      .update(
        JSON.stringify([
          sender.id,
          sender.fromEmail,
          sender.fromName,
          sender.replyTo,
          sender.dkim,
          kind.feedbackId,
          kind.idPrefix,
        ]),
      )
      .digest('hex');
    let skeleton = this.skeletons.get(key);
    if (skeleton === undefined) {
      skeleton = new MessageSkeleton({
        from: { email: sender.fromEmail, name: sender.fromName },
        replyTo: sender.replyTo,
        domain: messageDomain(sender.fromEmail),
        feedbackId: kind.feedbackId,
        dkim: sender.dkim,
        idPrefix: kind.idPrefix,
      });
      if (this.skeletons.size >= MAX_SKELETONS) this.skeletons.clear();
      this.skeletons.set(key, skeleton);
    }
    return skeleton;
  }
}
