import { setMaxListeners } from 'node:events';
import {
  AppSecret,
  Clock,
  HERALD_CONFIG,
  type HeraldConfig,
  MessageTokens,
  type PeriodicTask,
  runPeriodically,
  WakeUps,
  WriteBehind,
} from '@herald/common';
import {
  type Delivered,
  MessageDispatch,
  messageDomain,
  Outbox,
  retryAt,
  SendersService,
  type SendingSender,
  verpAddress,
} from '@herald/delivery';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import { type ClaimedDelivery, type RelayContent, RELAY_DUE, RelayStore } from './relay-store.js';
import { trackedMessage, tracksAnything } from './tracked-mime.js';

/** Recipient rows a worker process has going at once: claimed, waiting for their sender's slot, or in SMTP. */
const IN_FLIGHT = 16;
/**
 * How long a woken drain waits before it claims, so that rows stored
 * meanwhile go in one claim: a busy relay's mail leaves in batches, at most
 * this much later than it would one by one.
 */
const COALESCE_MS = 50;
/** How long a `sent` outcome waits for others to be written with (see `RelayDeliverer.sent`). */
const SENT_LINGER_MS = 20;
/** How long a sender read for sending is reused (see `RelayDeliverer.sender`). */
const SENDER_REUSE_MS = 1_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Suppression reasons that stop transactional mail. An unsubscribe is from
 * marketing, and a receipt or a password reset is not marketing, so
 * `unsubscribed` addresses still get it; a mailbox that bounced or whose
 * owner complained does not, and neither does an address an operator blocked.
 */
const STOPS_TRANSACTIONAL = new Set(['bounced', 'complained', 'manual']);

/**
 * Delivers the recipient rows of relayed and API messages: claims them with
 * a conditional update (`RelayDrain` decides when), sends the stored message through its sender with
 * `MessageDispatch` (rate, daily quota, DKIM), and records the outcome on
 * the row; a deferred one is tried again as campaign messages are. The
 * envelope sender is the row's VERP address (`bounce+<message token>@<the
 * sender's domain>`), as for campaign mail: a bounce or a complaint that
 * comes back later finds this recipient's row through the inbound listener.
 */
@Injectable()
export class RelayDeliverer {
  private readonly logger = new Logger('Relay');
  private messageTokens: MessageTokens | undefined;
  private readonly sendersSeen = new Map<string, { at: number; sender: SendingSender }>();
  /**
   * `sent` outcomes, most of a busy worker's, written many to a statement.
   * The message is out by then and nobody waits for the record, so each
   * write first lingers a moment for the outcomes of its batch-mates.
   */
  private readonly sent = new WriteBehind<Delivered, boolean>(
    async (outcomes) => {
      const applied = await this.outbox.markSentMany(outcomes);
      return outcomes.map((o) => applied.has(o.id));
    },
    IN_FLIGHT,
    SENT_LINGER_MS,
  );

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly clock: Clock,
    private readonly outbox: Outbox,
    private readonly store: RelayStore,
    private readonly senders: SendersService,
    private readonly dispatch: MessageDispatch,
    private readonly secret: AppSecret,
  ) {}

  /** Claims up to `limit` due recipient rows, with what sending each needs. */
  claim(limit: number): Promise<ClaimedDelivery[]> {
    return this.store.claimDue(limit);
  }

  /** Sends one claimed recipient row and records the outcome on it. */
  async deliver({ message: row, content, suppressed }: ClaimedDelivery, signal?: AbortSignal): Promise<void> {
    const retry = async (senderId: string | null, reply: string) => {
      const at = retryAt(row, this.clock.now(), this.config.HERALD_DEFER_MAX_AGE_HOURS);
      if (at === null) await this.outbox.markFailed(row.id, reply);
      else await this.outbox.markDeferred(row.id, senderId, reply, at);
    };
    if (content === undefined) return void (await this.outbox.markFailed(row.id, 'the relayed message is gone'));
    const sender = content.senderId === null ? undefined : await this.sender(content.senderId);
    if (sender === undefined) return void (await this.outbox.markFailed(row.id, 'the sender was deleted'));
    if (sender.disabledReason !== null) {
      return retry(null, `the sender is out of service: ${sender.disabledReason}`);
    }
    if (suppressed !== null && STOPS_TRANSACTIONAL.has(suppressed)) {
      await this.outbox.markSkipped([row.id], `suppressed (${suppressed})`);
      return;
    }
    this.messageTokens ??= new MessageTokens(this.secret.value);
    const token = this.messageTokens.sign(row.id);
    let returnPath: string;
    try {
      returnPath = verpAddress('bounce', token, messageDomain(sender.fromEmail));
    } catch (error) {
      return void (await this.outbox.markFailed(row.id, `not sent: ${(error as Error).message}`));
    }
    const raw = await this.forRecipient(content, row.id, token);
    const outcome = await this.dispatch.sendRaw(sender, { from: returnPath, to: row.email }, raw, signal);
    if (outcome.kind === 'sender_failed') this.sendersSeen.delete(sender.id);
    switch (outcome.kind) {
      case 'sent':
        await this.sent.write({ id: row.id, senderId: sender.id, reply: outcome.reply });
        break;
      case 'bounced':
        await this.outbox.markBounced(row.id, sender.id, outcome.reply);
        break;
      case 'uncertain':
        await this.outbox.markUncertain(row.id, sender.id, outcome.reply);
        break;
      case 'deferred':
      case 'sender_failed':
        await retry(sender.id, outcome.reply);
        break;
      case 'unbuildable':
        await this.outbox.markFailed(row.id, `not sent: ${outcome.reason}`);
        break;
      case 'quota_exhausted':
        await this.outbox.postpone(row.id, outcome.resumesAt, "the sender's daily limit is reached");
        break;
      case 'aborted':
        await this.outbox.postpone(row.id, new Date(this.clock.now()));
        break;
    }
    if (outcome.kind !== 'sent') this.logger.warn({ messageId: row.id, outcome: outcome.kind }, 'relay.not_sent');
  }

  /**
   * The sender with its secrets, read again once SENDER_REUSE_MS have passed
   * (or at once after it failed): the relay sends through a handful of
   * senders, message after message. Undefined when it was deleted.
   */
  private async sender(id: string): Promise<SendingSender | undefined> {
    const seen = this.sendersSeen.get(id);
    if (seen !== undefined && this.clock.now() - seen.at < SENDER_REUSE_MS) return seen.sender;
    const [sender] = await this.senders.forSending([id]).catch(() => []);
    if (sender === undefined) this.sendersSeen.delete(id);
    else this.sendersSeen.set(id, { at: this.clock.now(), sender });
    return sender;
  }

  /**
   * The stored message with this recipient's tracking (their token in the
   * pixel and links), rewritten before DKIM signs it. A message whose HTML
   * cannot be rewritten goes out as it was given rather than not at all.
   */
  private async forRecipient(content: RelayContent, messageId: string, token: string): Promise<Buffer> {
    if (!tracksAnything(content.tracking)) return content.raw;
    try {
      return await trackedMessage(content.raw, content.tracking, this.config.PUBLIC_URL, token);
    } catch (error) {
      this.logger.warn({ messageId, err: error }, 'relay.tracking_skipped');
      return content.raw;
    }
  }
}

/**
 * Sends relayed and API messages in a worker process: woken when a relay or
 * api process stores one (`WakeUps`, topic RELAY_DUE) and by the tick, it
 * claims due recipient rows in batches and keeps up to IN_FLIGHT of them
 * going (waiting for their sender's slot, or in SMTP), until none is due.
 * Claims go through Postgres, so any number of workers share the rows
 * without sending one twice.
 */
@Injectable()
export class RelayDrain implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Relay');
  private readonly inFlight = new Set<Promise<void>>();
  private readonly shutdown = new AbortController();
  private wanted = false;
  private draining: Promise<void> | undefined;

  constructor(
    private readonly deliverer: RelayDeliverer,
    private readonly wakeUps: WakeUps,
  ) {
    // Every message in flight listens on it while it waits for its slot: as many as IN_FLIGHT at once is expected, not a leak.
    setMaxListeners(IN_FLIGHT * 2, this.shutdown.signal);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.wakeUps.listen(RELAY_DUE, () => this.wake());
    this.wake();
  }

  /** Before Postgres closes: rows waiting for a slot are put back (`aborted`); those in SMTP finish and are recorded. */
  async onModuleDestroy(): Promise<void> {
    this.shutdown.abort();
    await this.draining;
    await Promise.all(this.inFlight);
  }

  /** Looks for due rows now, or once the current look ends. */
  wake(): void {
    this.wanted = true;
    if (this.draining !== undefined || this.shutdown.signal.aborted) return;
    this.draining = this.drain()
      .catch((error: unknown) => {
        // Postgres is away: the tick looks again, rather than every hint that comes meanwhile.
        this.wanted = false;
        this.logger.error({ err: error }, 'relay.claim_failed');
      })
      .finally(() => {
        this.draining = undefined;
        if (this.wanted) this.wake();
      });
  }

  private async drain(): Promise<void> {
    // Rows stored in the same moment are claimed together.
    await sleep(COALESCE_MS);
    while (this.wanted && !this.shutdown.signal.aborted) {
      this.wanted = false;
      for (;;) {
        // Claim when at least half the room is free, so that claims come in batches rather than one by one.
        while (this.inFlight.size > IN_FLIGHT / 2) await Promise.race(this.inFlight);
        if (this.shutdown.signal.aborted) return;
        const room = IN_FLIGHT - this.inFlight.size;
        const batch = await this.deliverer.claim(room);
        for (const claimed of batch) this.start(claimed);
        if (batch.length < room) break;
      }
    }
  }

  private start(claimed: ClaimedDelivery): void {
    const delivery: Promise<void> = this.deliverer
      .deliver(claimed, this.shutdown.signal)
      // The row stays `sending` and the tick's reclaim puts it back after the lease.
      .catch((error: unknown) =>
        this.logger.error({ messageId: claimed.message.id, err: error }, 'relay.deliver_failed'),
      )
      .finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
  }
}

/**
 * Every HERALD_SCHEDULER_TICK_MS in every worker: rows a dead worker left
 * `sending` (past HERALD_SEND_LEASE_SECONDS) are queued again, and the drain
 * looks for due rows (deferred ones coming due, quota waits ending, and any
 * whose wake-up was lost with Redis). Idempotency keys older than 24 h go.
 */
@Injectable()
export class RelayTick implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Relay');
  private task: PeriodicTask | undefined;

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly outbox: Outbox,
    private readonly store: RelayStore,
    private readonly drain: RelayDrain,
  ) {}

  onApplicationBootstrap(): void {
    this.task = runPeriodically(
      () => this.tick(),
      this.config.HERALD_SCHEDULER_TICK_MS,
      (error) => this.logger.error({ err: error }, 'relay.tick_failed'),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task?.stop();
  }

  async tick(): Promise<void> {
    await this.outbox.reclaimStaleSingles(this.config.HERALD_SEND_LEASE_SECONDS * 1000);
    this.drain.wake();
    await this.store.expireIdempotency();
  }
}
