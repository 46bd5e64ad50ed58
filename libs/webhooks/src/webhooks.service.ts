import { conflict, Db, decodeCursor, invalid, notFound, type Page, parseId, toPage } from '@herald/common';
import { Injectable } from '@nestjs/common';
import { type ClaimedRow, WebhookDeliverer } from './webhook-deliverer.js';
import { newSecret, WebhookPost } from './webhook-post.js';
import { WebhookSink } from './webhook-sink.js';
import type { CreatedWebhookView, WebhookDeliveryView, WebhookView } from './webhooks.dto.js';
import * as q from './webhooks.sql.js';

/** What a caller asks for; checked by the DTOs at the edge, and the URL here. */
export interface WebhookInput {
  url: string;
  eventTypes: string[];
  description?: string;
}

export type WebhookChanges = Partial<WebhookInput> & { enabled?: boolean };

interface EndpointRow {
  id: string;
  url: string;
  description: string;
  event_types: string[];
  enabled: boolean;
  last_attempt_at: Date | null;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

interface DeliveryRow {
  id: string;
  status: WebhookDeliveryView['status'];
  event_count: number;
  event_types: string[];
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: Date;
  created_at: Date;
  delivered_at: Date | null;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

function toView(r: EndpointRow): WebhookView {
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    eventTypes: r.event_types as WebhookView['eventTypes'],
    enabled: r.enabled,
    lastAttemptAt: iso(r.last_attempt_at),
    lastStatus: r.last_status,
    lastError: r.last_error,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

function toDeliveryView(r: DeliveryRow): WebhookDeliveryView {
  return {
    id: r.id,
    status: r.status,
    eventCount: r.event_count,
    eventTypes: r.event_types,
    attempts: r.attempts,
    lastStatus: r.last_status,
    lastError: r.last_error,
    nextAttemptAt: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
    createdAt: r.created_at.toISOString(),
    deliveredAt: iso(r.delivered_at),
  };
}

/** Webhook endpoints: their settings, secrets, test events and delivery log. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly db: Db,
    private readonly poster: WebhookPost,
    private readonly deliverer: WebhookDeliverer,
    private readonly sink: WebhookSink,
  ) {}

  async list(limit: number, cursor: string | undefined): Promise<Page<WebhookView>> {
    const rows = await this.db.rows<EndpointRow>(
      `SELECT ${q.ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE ($1::bigint IS NULL OR id > $1) ORDER BY id LIMIT $2`,
      [decodeCursor(cursor) ?? null, limit + 1],
    );
    return toPage(rows, limit, toView);
  }

  async get(id: string): Promise<WebhookView> {
    return toView(await this.row(id));
  }

  /** Creates an endpoint; the answer carries its secret, the only time it is shown. */
  async create(input: WebhookInput): Promise<CreatedWebhookView> {
    await this.checkUrl(input.url);
    const secret = newSecret();
    const row = await this.db.one<EndpointRow>(
      `INSERT INTO webhook_endpoints (url, description, event_types, secret_sealed) VALUES ($1, $2, $3, $4)
       RETURNING ${q.ENDPOINT_COLUMNS}`,
      [input.url, input.description ?? '', input.eventTypes, this.deliverer.secrets().seal(secret)],
    );
    await this.sink.refresh();
    return { ...toView(row), secret };
  }

  async update(id: string, changes: WebhookChanges): Promise<WebhookView> {
    parseId(id);
    if (changes.url !== undefined) await this.checkUrl(changes.url);
    const row = await this.db.maybeOne<EndpointRow>(
      `UPDATE webhook_endpoints SET url = COALESCE($2, url), event_types = COALESCE($3, event_types),
         description = COALESCE($4, description), enabled = COALESCE($5, enabled), updated_at = now()
       WHERE id = $1 RETURNING ${q.ENDPOINT_COLUMNS}`,
      [id, changes.url ?? null, changes.eventTypes ?? null, changes.description ?? null, changes.enabled ?? null],
    );
    if (row === undefined) throw notFound('webhook', id);
    await this.sink.refresh();
    return toView(row);
  }

  /** Deletes the endpoint with its undelivered events and its log. */
  async remove(id: string): Promise<void> {
    const deleted = await this.db.execute(`DELETE FROM webhook_endpoints WHERE id = $1`, [parseId(id)]);
    if (deleted === 0) throw notFound('webhook', id);
    await this.sink.refresh();
  }

  /** A new secret replaces the old one at once; shown this once. */
  async rotateSecret(id: string): Promise<{ secret: string }> {
    const secret = newSecret();
    const changed = await this.db.execute(
      `UPDATE webhook_endpoints SET secret_sealed = $2, updated_at = now() WHERE id = $1`,
      [parseId(id), this.deliverer.secrets().seal(secret)],
    );
    if (changed === 0) throw notFound('webhook', id);
    return { secret };
  }

  /**
   * Sends one `test` event now, whatever types the endpoint wants, and
   * answers with the delivery after that first attempt; a failed one is
   * retried like any other.
   */
  async sendTest(id: string): Promise<WebhookDeliveryView> {
    const endpoint = await this.row(id);
    if (!endpoint.enabled) throw conflict('the webhook is disabled: enable it to send a test event');
    const claimed = await this.db.one<ClaimedRow>(q.TEST_DELIVERY, [
      endpoint.id,
      JSON.stringify({ webhookId: endpoint.id, message: 'A test event from Herald' }),
    ]);
    await this.deliverer.post(claimed);
    return this.delivery(claimed.id);
  }

  /** The endpoint's deliveries, newest first. */
  async deliveries(id: string, limit: number, cursor: string | undefined): Promise<Page<WebhookDeliveryView>> {
    await this.row(id);
    const rows = await this.db.rows<DeliveryRow>(
      `SELECT ${q.DELIVERY_COLUMNS} FROM webhook_deliveries d
       WHERE d.endpoint_id = $1 AND ($2::bigint IS NULL OR d.id < $2) ORDER BY d.id DESC LIMIT $3`,
      [id, decodeCursor(cursor) ?? null, limit + 1],
    );
    return toPage(rows, limit, toDeliveryView);
  }

  private async delivery(id: string): Promise<WebhookDeliveryView> {
    return toDeliveryView(
      await this.db.one<DeliveryRow>(`SELECT ${q.DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.id = $1`, [id]),
    );
  }

  private async row(id: string): Promise<EndpointRow> {
    const row = await this.db.maybeOne<EndpointRow>(
      `SELECT ${q.ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1`,
      [parseId(id)],
    );
    if (row === undefined) throw notFound('webhook', id);
    return row;
  }

  private async checkUrl(url: string): Promise<void> {
    const refusal = await this.poster.refusal(url);
    if (refusal !== null) throw invalid(`url ${refusal}`, { url: refusal });
  }
}
