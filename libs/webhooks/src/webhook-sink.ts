import {
  Db,
  type OutgoingEvent,
  OutgoingEvents,
  type OutgoingEventSink,
  type OutgoingEventType,
  type Sql,
} from '@herald/common';
import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import * as q from './webhooks.sql.js';

/** How stale this process's view of the wanted event types may be. */
const WANTED_TTL_MS = 2_000;

/**
 * Where producers' events land: registered with common's `OutgoingEvents`
 * when the module starts, it writes one `webhook_events` row per event and
 * endpoint wanting its type, inside the producer's transaction. `wanted`
 * answers from a view refreshed every two seconds (and at once after a
 * change in this process); it only lets producers skip work when nobody
 * listens.
 */
@Injectable()
export class WebhookSink implements OutgoingEventSink, OnModuleInit, OnModuleDestroy {
  private types = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly events: OutgoingEvents,
  ) {}

  async onModuleInit(): Promise<void> {
    this.events.register(this);
    await this.refresh().catch(() => undefined);
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), WANTED_TTL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  wanted(type: OutgoingEventType): boolean {
    return this.types.has(type);
  }

  async write(tx: Sql, events: readonly OutgoingEvent[]): Promise<void> {
    await tx.execute(q.RECORD_EVENTS, [
      events.map((e) => e.type),
      events.map((e) => JSON.stringify(e.data)),
      events.map((e) => e.occurredAt),
    ]);
  }

  /** Re-reads the wanted types; during an outage the last view stays (the producers' writes fail anyway). */
  async refresh(): Promise<void> {
    const rows = await this.db.rows<{ type: string }>(q.WANTED_TYPES);
    this.types = new Set(rows.map((r) => r.type));
  }
}
