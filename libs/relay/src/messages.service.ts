import { createHash } from 'node:crypto';
import { ApiKeysService, type MessageTracking, NO_TRACKING } from '@herald/auth';
import {
  Clock,
  Db,
  DomainError,
  HERALD_CONFIG,
  type HeraldConfig,
  invalid,
  type Principal,
  rateLimited,
  unprocessable,
  WakeUps,
} from '@herald/common';
import { type SendingSender, SendersService } from '@herald/delivery';
import { TemplatesService } from '@herald/templates';
import { Inject, Injectable } from '@nestjs/common';
import MailComposer from 'nodemailer/lib/mail-composer';
import { prepareIncoming, RefusedMessage } from './incoming.js';
import { RelayLimits } from './limits.js';
import { RELAY_DUE, type RelayMessageView, RelayStore, type StoredMessage } from './relay-store.js';
import { trackingFor } from './tracked-mime.js';

/** A message to send through the transactional API, as validated at the edge. */
export interface TransactionalInput {
  senderId: string;
  to: string[];
  /** Required without `templateId`; with it, replaces the template's subject. */
  subject?: string;
  html?: string;
  text?: string;
  /** A stored template rendered once with `data`, instead of `html`/`text`. */
  templateId?: string;
  data?: Record<string, unknown>;
  replyTo?: string;
  /** Override the sending key's `trackOpens` / `trackClicks` for this message; without a key, both default to off. */
  trackOpens?: boolean;
  trackClicks?: boolean;
}

/** The parts of one message, given or rendered from a template. */
interface Content {
  subject: string;
  html?: string;
  text?: string;
}

/** The key in use by another request still being handled, or within 24 h for another message. */
class KeyTaken extends Error {}

/** JSON with object keys sorted: two bodies that differ only in key order hash the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * `POST /messages`: composes the message from its parts and takes the same
 * path as a relayed one (stored with a row per recipient before the answer,
 * delivered by the relay's worker). An Idempotency-Key makes a repeated
 * request answer with the first one's message for 24 h.
 */
@Injectable()
export class TransactionalMessages {
  constructor(
    private readonly db: Db,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly clock: Clock,
    private readonly senders: SendersService,
    private readonly store: RelayStore,
    private readonly wakeUps: WakeUps,
    private readonly limits: RelayLimits,
    private readonly templates: TemplatesService,
    private readonly keys: ApiKeysService,
  ) {}

  async send(
    user: Principal,
    input: TransactionalInput,
    idempotencyKey?: string,
  ): Promise<{ message: RelayMessageView; replayed: boolean }> {
    if (input.to.length > this.config.HERALD_RELAY_MAX_RECIPIENTS) {
      throw invalid(`to: at most ${this.config.HERALD_RELAY_MAX_RECIPIENTS} recipients per message`, {
        to: `more than ${this.config.HERALD_RELAY_MAX_RECIPIENTS} recipients`,
      });
    }
    const bodyHash = createHash('sha256').update(canonical(input)).digest('hex');
    if (idempotencyKey !== undefined) {
      const replay = await this.replay(user, idempotencyKey, bodyHash);
      if (replay !== undefined) return { message: replay, replayed: true };
    }
    const rate = await this.limits.countMessage(`user:${user.userId}`, this.clock.now());
    if (!rate.allowed) {
      throw rateLimited(
        `More than ${this.config.HERALD_RELAY_RATE_PER_MINUTE} messages a minute; try again in ${rate.retryAfterSeconds} s`,
        rate.retryAfterSeconds,
      );
    }
    const sender = await this.sender(input.senderId);
    const message = await this.compose(sender, input.to, input.replyTo, await this.content(sender, input));
    const tracking = await trackingFor(message.raw, await this.tracking(user, input));
    let stored: StoredMessage;
    try {
      stored = await this.db.transaction(async (tx) => {
        const result = await this.store.accept(
          {
            source: 'api',
            apiKeyId: user.apiKeyId ?? null,
            userId: user.userId,
            senderId: sender.id,
            envelopeFrom: sender.fromEmail,
            recipients: input.to,
            message,
            tracking,
          },
          tx,
        );
        if (
          idempotencyKey !== undefined &&
          !(await this.store.claimIdempotency(tx, user.userId, idempotencyKey, bodyHash, result.id))
        ) {
          throw new KeyTaken();
        }
        return result;
      });
    } catch (error) {
      if (!(error instanceof KeyTaken) || idempotencyKey === undefined) throw error;
      // Another request with this key committed first: answer as it did.
      const replay = await this.replay(user, idempotencyKey, bodyHash);
      if (replay === undefined) throw new DomainError('conflict', 'A request with this Idempotency-Key is in progress');
      return { message: replay, replayed: true };
    }
    this.wakeUps.notify(RELAY_DUE);
    return { message: await this.store.get(stored.id), replayed: false };
  }

  /**
   * The request's own `trackOpens` / `trackClicks`, else the sending key's;
   * a signed-in user sends with no key, so untracked unless asked.
   */
  private async tracking(user: Principal, input: TransactionalInput): Promise<MessageTracking> {
    const { trackOpens, trackClicks } = input;
    if (trackOpens !== undefined && trackClicks !== undefined) return { trackOpens, trackClicks };
    const defaults = user.apiKeyId === undefined ? NO_TRACKING : await this.keys.messageTracking(user.apiKeyId);
    return { trackOpens: trackOpens ?? defaults.trackOpens, trackClicks: trackClicks ?? defaults.trackClicks };
  }

  private async replay(user: Principal, key: string, bodyHash: string): Promise<RelayMessageView | undefined> {
    const used = await this.store.findIdempotent(this.db, user.userId, key);
    if (used === undefined) return undefined;
    if (used.body_hash !== bodyHash) {
      throw unprocessable('This Idempotency-Key was used in the last 24 hours with a different request body', {
        'Idempotency-Key': 'already used with a different body',
      });
    }
    return this.store.get(used.relay_message_id);
  }

  private async sender(id: string): Promise<SendingSender> {
    try {
      const [sender] = await this.senders.forSending([id]);
      return sender;
    } catch (error) {
      if (error instanceof DomainError && error.kind === 'not_found') {
        throw invalid(`senderId: sender ${id} does not exist`, { senderId: 'unknown sender' });
      }
      throw error;
    }
  }

  /** The given parts, or the template rendered with `data`; `templateId` and `html`/`text` exclude each other. */
  private async content(sender: SendingSender, input: TransactionalInput): Promise<Content> {
    if (input.templateId === undefined) {
      if (input.data !== undefined) {
        throw invalid('data: only with templateId', { data: 'only with templateId' });
      }
      if (input.subject === undefined) throw invalid('subject is required', { subject: 'is required' });
      return { subject: input.subject, html: input.html, text: input.text };
    }
    if (input.html !== undefined || input.text !== undefined) {
      throw invalid('templateId: give either templateId or html/text, not both', {
        templateId: 'not with html or text',
      });
    }
    const rendered = await this.templates.renderTransactional(input.templateId, input.data ?? {}, {
      name: sender.fromName ?? undefined,
      address: sender.postalAddress,
    });
    return { subject: input.subject ?? rendered.subject, html: rendered.html, text: rendered.text };
  }

  private async compose(sender: SendingSender, to: string[], replyTo: string | undefined, content: Content) {
    const mail = new MailComposer({
      from: { name: sender.fromName ?? '', address: sender.fromEmail },
      to,
      replyTo: replyTo ?? sender.replyTo ?? undefined,
      subject: content.subject.replace(/[\r\n]+/g, ' '),
      text: content.text,
      html: content.html,
    });
    const raw = await new Promise<Buffer>((resolve, reject) =>
      mail.compile().build((error, message) => (error ? reject(error) : resolve(message))),
    );
    if (raw.length > this.config.HERALD_RELAY_MAX_BYTES) {
      throw new DomainError('too_large', `The message is larger than ${this.config.HERALD_RELAY_MAX_BYTES} bytes`);
    }
    try {
      return prepareIncoming(raw, new Date(this.clock.now()));
    } catch (error) {
      if (error instanceof RefusedMessage) throw invalid(error.message, { message: error.message });
      throw error;
    }
  }
}
