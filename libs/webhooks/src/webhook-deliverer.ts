import { AppSecret, Db, HERALD_CONFIG, type HeraldConfig, SecretBox } from '@herald/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { WebhookPost } from './webhook-post.js';
import * as q from './webhooks.sql.js';

/** A delivery left `sending` this long belongs to a dead worker and is tried again. */
export const DELIVERY_LEASE_SECONDS = 60;
/** Longest wait between two attempts. */
const MAX_RETRY_MS = 6 * 3600_000;
/** The label the endpoints' secrets are sealed under. */
export const SECRET_LABEL = 'webhook signing secret';

export interface ClaimedRow {
  id: string;
  endpoint_id: string;
  attempts: number;
  url: string;
  secret_sealed: Buffer;
}

interface EventRow {
  id: string;
  type: string;
  data: Record<string, unknown>;
  occurred_at: Date;
}

/** What one attempt did: the delivery's state after it and, for a retry, when it is due. */
export interface AttemptResult {
  status: 'delivered' | 'pending' | 'failed';
  retryInMs: number | null;
}

/** The wait before the attempt after `attempts` failed ones: the base, doubling, capped. */
export const retryDelayMs = (baseMs: number, attempts: number) =>
  Math.min(MAX_RETRY_MS, baseMs * 2 ** Math.max(0, attempts - 1));

/**
 * One attempt at one delivery: claim the row (a conditional update, so no
 * two workers post the same batch at once), read its events, POST them as a
 * JSON array signed with the endpoint's secret, record the outcome. A
 * failure is retried after HERALD_WEBHOOK_RETRY_MS, doubling, until
 * HERALD_WEBHOOK_MAX_ATTEMPTS; then the delivery is `failed` (given up)
 * and stays in the log.
 */
@Injectable()
export class WebhookDeliverer {
  private readonly logger = new Logger('Webhooks');
  private box: SecretBox | undefined;

  constructor(
    private readonly db: Db,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly secret: AppSecret,
    private readonly poster: WebhookPost,
  ) {}

  /** The secrets' box; built on first use, once the app secret is known. */
  secrets(): SecretBox {
    this.box ??= new SecretBox(this.secret.value, SECRET_LABEL);
    return this.box;
  }

  /** Attempts delivery `id` if it is due and free; undefined when it was not this caller's to attempt. */
  async attempt(id: string): Promise<AttemptResult | undefined> {
    const row = await this.db.maybeOne<ClaimedRow>(q.CLAIM, [id, DELIVERY_LEASE_SECONDS]);
    if (row === undefined) return undefined;
    return this.post(row);
  }

  /** Posts a delivery this caller has claimed and records the outcome. */
  async post(row: ClaimedRow): Promise<AttemptResult> {
    const events = await this.db.rows<EventRow>(q.EVENTS_OF, [row.id]);
    const body = JSON.stringify(
      events.map((e) => ({ id: e.id, type: e.type, occurredAt: e.occurred_at.toISOString(), data: e.data })),
    );
    const outcome = await this.poster.post(row.url, this.secrets().openText(row.secret_sealed), row.id, body);
    let result: AttemptResult;
    if (outcome.ok) result = { status: 'delivered', retryInMs: null };
    else if (row.attempts >= this.config.HERALD_WEBHOOK_MAX_ATTEMPTS) result = { status: 'failed', retryInMs: null };
    else result = { status: 'pending', retryInMs: retryDelayMs(this.config.HERALD_WEBHOOK_RETRY_MS, row.attempts) };
    await this.db.execute(q.RECORD_OUTCOME, [row.id, result.status, outcome.status, outcome.error, result.retryInMs]);
    await this.db.execute(q.ENDPOINT_OUTCOME, [row.endpoint_id, outcome.status, outcome.error]);
    if (result.status === 'failed')
      this.logger.warn(
        { deliveryId: row.id, endpointId: row.endpoint_id, attempts: row.attempts, status: outcome.status },
        'webhook.given_up',
      );
    return result;
  }
}
