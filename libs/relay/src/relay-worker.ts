import {
  AppSecret,
  Clock,
  Db,
  HERALD_CONFIG,
  type HeraldConfig,
  type JobPayloads,
  MessageTokens,
  type PeriodicTask,
  runPeriodically,
} from '@herald/common';
import { SuppressionsService } from '@herald/contacts';
import { MessageDispatch, messageDomain, Outbox, retryAt, SendersService, verpAddress } from '@herald/delivery';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Job } from 'bullmq';
import { RELAY_QUEUE, RelayQueue } from './relay-queue.js';
import { type RelayContent, RelayStore } from './relay-store.js';
import { trackedMessage, tracksAnything } from './tracked-mime.js';

/** Rows the tick re-adds jobs for at most per run. */
const TICK_BATCH = 500;

/**
 * Suppression reasons that stop transactional mail. An unsubscribe is from
 * marketing, and a receipt or a password reset is not marketing, so
 * `unsubscribed` addresses still get it; a mailbox that bounced or whose
 * owner complained does not, and neither does an address an operator blocked.
 */
const STOPS_TRANSACTIONAL = new Set(['bounced', 'complained', 'manual']);

/**
 * Delivers one recipient's row of a relayed or API message: claims it with
 * a conditional update, sends the stored message through its sender with
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

  constructor(
    private readonly db: Db,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly clock: Clock,
    private readonly outbox: Outbox,
    private readonly store: RelayStore,
    private readonly senders: SendersService,
    private readonly suppressions: SuppressionsService,
    private readonly dispatch: MessageDispatch,
    private readonly secret: AppSecret,
  ) {}

  async deliver(messageId: string, signal?: AbortSignal): Promise<void> {
    const row = await this.outbox.claimSingle(messageId);
    if (row === undefined) return;
    const retry = async (senderId: string | null, reply: string) => {
      const at = retryAt(row, this.clock.now(), this.config.HERALD_DEFER_MAX_AGE_HOURS);
      if (at === null) await this.outbox.markFailed(row.id, reply);
      else await this.outbox.markDeferred(row.id, senderId, reply, at);
    };
    const content = await this.store.contentFor(row.id);
    if (content === undefined) return void (await this.outbox.markFailed(row.id, 'the relayed message is gone'));
    const [sender] = content.senderId === null ? [] : await this.senders.forSending([content.senderId]).catch(() => []);
    if (sender === undefined) return void (await this.outbox.markFailed(row.id, 'the sender was deleted'));
    if (sender.disabledReason !== null) {
      return retry(null, `the sender is out of service: ${sender.disabledReason}`);
    }
    const reason = await this.suppressions.reasonFor(this.db, row.email);
    if (reason !== undefined && STOPS_TRANSACTIONAL.has(reason)) {
      await this.outbox.markSkipped([row.id], `suppressed (${reason})`);
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
    switch (outcome.kind) {
      case 'sent':
        await this.outbox.markSent(row.id, sender.id, outcome.reply);
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
 * Relay delivery jobs. A job carries the row's id only; a job lost with
 * Redis or a worker is added again by the tick, and running one twice does
 * nothing the second time (the claim is conditional on the row).
 */
@Processor(RELAY_QUEUE, { concurrency: 16 })
export class RelayProcessor extends WorkerHost implements OnModuleDestroy {
  private readonly shutdown = new AbortController();

  constructor(private readonly deliverer: RelayDeliverer) {
    super();
  }

  async process(job: Job<JobPayloads['relay.deliver']>): Promise<void> {
    await this.deliverer.deliver(job.data.messageId, this.shutdown.signal);
  }

  onModuleDestroy(): void {
    this.shutdown.abort();
  }
}

/**
 * Every HERALD_SCHEDULER_TICK_MS in every worker: rows a dead worker left
 * `sending` (past HERALD_SEND_LEASE_SECONDS) are queued again, and every due
 * row (new ones whose job was lost, deferred ones coming due, quota waits
 * ending) gets its job. Job ids are per row, so ticks in several workers add
 * each job once. Idempotency keys older than 24 h go.
 */
@Injectable()
export class RelayTick implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Relay');
  private task: PeriodicTask | undefined;

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly outbox: Outbox,
    private readonly store: RelayStore,
    private readonly queue: RelayQueue,
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
    for (const id of await this.outbox.dueSingles(TICK_BATCH)) await this.queue.deliver(id);
    await this.store.expireIdempotency();
  }
}
