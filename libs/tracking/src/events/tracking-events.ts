import { Db, type OutgoingEvent, OutgoingEvents } from '@herald/common';
import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { TrackedMessages } from '../message-source.js';
import { type ClassifiedHit, type Hit, writeBatch } from './event-batch.js';
import { LINK_BURST_MS, machineClick, machineOpen } from './machine.js';

/** Limits of the in-process buffer; a test may pass smaller ones. */
export interface BufferLimits {
  /** A batch is written at the latest this long after its first hit. */
  flushMs: number;
  /** A batch is written at once when it has this many hits, and never holds more. */
  batchSize: number;
  /** Hits held while Postgres is unreachable; later ones are dropped and counted. */
  maxBuffered: number;
  /** After a failed write, the next try waits this long (doubling up to 30 s). */
  retryMs: number;
}

export const DEFAULT_LIMITS: BufferLimits = { flushMs: 200, batchSize: 1000, maxBuffered: 200_000, retryMs: 500 };
export const BUFFER_LIMITS = Symbol('BUFFER_LIMITS');

/** An open or click as webhooks publish it. */
function outgoingEvent(hit: ClassifiedHit): OutgoingEvent {
  return {
    type: hit.type === 'open' ? 'opened' : 'clicked',
    occurredAt: hit.at,
    data: {
      messageId: hit.messageId,
      campaignId: hit.message.campaignId,
      contactId: hit.message.contactId,
      email: hit.message.email,
      ...(hit.type === 'click' ? { linkIndex: hit.linkIndex } : {}),
      machine: hit.machine !== null,
      machineReason: hit.machine,
    },
  };
}

/** How long recent clicks are remembered for the link-burst rule. */
const RECENT_CLICKS_MS = 10_000;

/**
 * The metrics of ingestion. Counters belong to no registry of their own:
 * the api's /metrics adds them to its registry (as campaigns' SendMetrics).
 */
@Injectable()
export class TrackingMetrics {
  readonly hits = new Counter<'type'>({
    name: 'herald_tracking_hits_total',
    help: 'Open and click requests with a valid token, by type',
    labelNames: ['type'],
    registers: [],
  });
  readonly written = new Counter<'type' | 'machine'>({
    name: 'herald_tracking_events_written_total',
    help: 'Open and click events written, by type and whether a machine made them',
    labelNames: ['type', 'machine'],
    registers: [],
  });
  readonly ignored = new Counter({
    name: 'herald_tracking_hits_ignored_total',
    help: 'Hits not recorded: unknown message, test send or no campaign',
    registers: [],
  });
  readonly dropped = new Counter({
    name: 'herald_tracking_hits_dropped_total',
    help: 'Hits dropped because the buffer was full while the database could not be written',
    registers: [],
  });
  readonly failures = new Counter({
    name: 'herald_tracking_flush_failures_total',
    help: 'Batches that failed to be written and were kept for a retry',
    registers: [],
  });
  readonly buffered = new Gauge({
    name: 'herald_tracking_buffered_hits',
    help: 'Hits waiting in this process to be written',
    registers: [],
  });

  get all() {
    return [this.hits, this.written, this.ignored, this.dropped, this.failures, this.buffered];
  }
}

/**
 * Opens and clicks of this api process, gathered in memory and written in
 * batches (every `flushMs`, or at once when `batchSize` are waiting, and on
 * shutdown), so that answering a pixel never waits for Postgres. A batch is
 * classified (machine or human) once its messages are known, then written
 * in one transaction (`writeBatch`). When the write fails the hits stay in
 * the buffer, up to `maxBuffered` (later ones are dropped and counted), and
 * the write is retried with backoff.
 *
 * A process that is killed loses at most its unwritten buffer: opens and
 * clicks are statistics, not state anything depends on.
 */
@Injectable()
export class TrackingEvents implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger('TrackingEvents');
  private buffer: Hit[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private failuresInRow = 0;
  private droppedSinceLog = 0;
  private closed = false;
  /** Recent clicks per message, for the link-burst rule; pruned as batches are written. */
  private readonly recentClicks = new Map<string, { at: Date; linkIndex: number }[]>();

  constructor(
    private readonly db: Db,
    private readonly registry: TrackedMessages,
    readonly metrics: TrackingMetrics,
    @Inject(BUFFER_LIMITS) private readonly limits: BufferLimits,
    private readonly outgoing: OutgoingEvents,
  ) {}

  /** Takes a hit; returns at once. */
  record(hit: Hit): void {
    this.metrics.hits.inc({ type: hit.type });
    if (this.buffer.length >= this.limits.maxBuffered) {
      this.metrics.dropped.inc();
      if (this.droppedSinceLog++ === 0) this.logger.warn({ buffered: this.buffer.length }, 'tracking.buffer_full');
      return;
    }
    this.buffer.push(hit);
    this.metrics.buffered.set(this.buffer.length);
    if (hit.type === 'click' && hit.linkIndex !== null) {
      const recent = this.recentClicks.get(hit.messageId) ?? [];
      recent.push({ at: hit.at, linkIndex: hit.linkIndex });
      this.recentClicks.set(hit.messageId, recent);
    }
    if (this.closed) return;
    if (this.buffer.length >= this.limits.batchSize && this.failuresInRow === 0) this.kick(0);
    else this.kick(this.limits.flushMs);
  }

  /** Writes everything buffered now; resolves when the buffer is empty or a write failed. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing) await this.writing;
    while (this.buffer.length > 0) {
      const ok = await this.writeOnce();
      if (!ok) return;
    }
  }

  onModuleDestroy(): void {
    clearTimeout(this.timer);
  }

  /** Before the database closes: a last write of what is buffered, a few tries. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (let attempt = 0; attempt < 3 && this.buffer.length > 0; attempt++) {
      await this.flush();
      if (this.buffer.length > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (this.buffer.length > 0) this.logger.error({ lost: this.buffer.length }, 'tracking.unwritten_at_shutdown');
  }

  private kick(delayMs: number): void {
    if (this.timer !== undefined && delayMs > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flushInBackground();
    }, delayMs);
  }

  private async flushInBackground(): Promise<void> {
    if (this.writing) return this.kick(this.limits.flushMs);
    const ok = await this.writeOnce();
    if (this.closed || this.buffer.length === 0) return;
    if (ok) this.kick(this.buffer.length >= this.limits.batchSize ? 0 : this.limits.flushMs);
    else this.kick(Math.min(30_000, this.limits.retryMs * 2 ** (this.failuresInRow - 1)));
  }

  /** Writes the oldest batch; on failure puts it back in front. */
  private async writeOnce(): Promise<boolean> {
    const batch = this.buffer.splice(0, this.limits.batchSize);
    if (batch.length === 0) return true;
    let done!: () => void;
    this.writing = new Promise((resolve) => (done = resolve));
    try {
      await this.write(batch);
      if (this.failuresInRow > 0 || this.droppedSinceLog > 0)
        this.logger.log({ dropped: this.droppedSinceLog }, 'tracking.writing_again');
      this.failuresInRow = 0;
      this.droppedSinceLog = 0;
      return true;
    } catch (error) {
      this.buffer = batch.concat(this.buffer);
      this.failuresInRow += 1;
      this.metrics.failures.inc();
      // One line per outage, not one per retry.
      if (this.failuresInRow === 1)
        this.logger.warn({ err: error, buffered: this.buffer.length }, 'tracking.write_failed');
      return false;
    } finally {
      this.metrics.buffered.set(this.buffer.length);
      this.writing = undefined;
      done();
    }
  }

  private async write(batch: Hit[]): Promise<void> {
    const messages = await this.registry.source.find([...new Set(batch.map((h) => h.messageId))]);
    const classified: ClassifiedHit[] = [];
    for (const hit of batch) {
      const message = messages.get(hit.messageId);
      // Test sends are never counted.
      if (message === undefined || message.isTest) continue;
      const machine =
        hit.type === 'open'
          ? machineOpen(hit)
          : machineClick({ ...hit, linkIndex: hit.linkIndex ?? 0 }, message.sentAt, this.otherClicks(hit));
      classified.push({ ...hit, message, machine });
    }
    await this.db.transaction(async (tx) => {
      await writeBatch(tx, classified);
      // Webhooks get every open and click written, machine ones flagged, in the same transaction.
      await this.outgoing.publish(tx, classified.map(outgoingEvent));
    });
    this.metrics.ignored.inc(batch.length - classified.length);
    for (const hit of classified) {
      this.metrics.written.inc({ type: hit.type, machine: String(hit.machine !== null) });
    }
    this.pruneRecentClicks();
  }

  private otherClicks(hit: Hit): { at: Date; linkIndex: number }[] {
    return (this.recentClicks.get(hit.messageId) ?? []).filter((c) => c.at !== hit.at || c.linkIndex !== hit.linkIndex);
  }

  private pruneRecentClicks(): void {
    const before = Date.now() - Math.max(RECENT_CLICKS_MS, LINK_BURST_MS);
    for (const [id, clicks] of this.recentClicks) {
      const kept = clicks.filter((c) => c.at.getTime() >= before);
      if (kept.length === 0) this.recentClicks.delete(id);
      else if (kept.length !== clicks.length) this.recentClicks.set(id, kept);
    }
  }
}
