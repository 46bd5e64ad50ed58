import { Injectable } from '@nestjs/common';
import type { Sql } from './sql.js';

/** What happened to a message or a contact, as libs publish it for the outside world (webhooks). */
export const OUTGOING_EVENT_TYPES = [
  'sent',
  'delivered',
  'bounced',
  'opened',
  'clicked',
  'unsubscribed',
  'complained',
  'subscribed',
] as const;
export type OutgoingEventType = (typeof OUTGOING_EVENT_TYPES)[number];

/** Flat values only: what the receiving side gets as the event's `data`. */
export type OutgoingEventData = Record<string, string | number | boolean | null>;

export interface OutgoingEvent {
  type: OutgoingEventType;
  occurredAt: Date;
  data: OutgoingEventData;
}

/** Takes published events into the transaction that produced them; implemented by the webhooks lib. */
export interface OutgoingEventSink {
  /**
   * Whether any taker wants events of `type`, as known to this process a
   * moment ago: lets a producer skip work (a transaction around a single
   * statement) when nobody listens. Never used to drop an event that is
   * published anyway: `write` decides exactly, in the producer's transaction.
   */
  wanted(type: OutgoingEventType): boolean;
  write(tx: Sql, events: readonly OutgoingEvent[]): Promise<void>;
}

/**
 * The registry through which libs publish events to a higher lib (webhooks)
 * they cannot import: the higher lib registers its sink when its module
 * starts. Producers call `publish` inside the transaction that records what
 * happened, so an event is stored exactly when its cause is. Without a sink
 * (the webhooks lib not loaded) publishing does nothing.
 */
@Injectable()
export class OutgoingEvents {
  private sink: OutgoingEventSink | undefined;

  register(sink: OutgoingEventSink): void {
    this.sink = sink;
  }

  wanted(type: OutgoingEventType): boolean {
    return this.sink?.wanted(type) ?? false;
  }

  async publish(tx: Sql, events: readonly OutgoingEvent[]): Promise<void> {
    if (this.sink === undefined || events.length === 0) return;
    await this.sink.write(tx, events);
  }
}
