/**
 * The job catalogue: every queue, its job names and their payloads. Jobs
 * carry ids, never data; the handler re-reads state from Postgres.
 */
export const QUEUES = {
  imports: 'imports',
  campaigns: 'campaigns',
  signups: 'signups',
  relay: 'relay',
  webhooks: 'webhooks',
} as const;

export interface JobPayloads {
  'import.run': { importId: string };
  /** Freeze, compile and snapshot the audience of a campaign the scheduler or a marketer started. */
  'campaign.start': { campaignId: string };
  /** One of a sending campaign's delivery slots (HERALD_DELIVER_SLOTS): claims and sends batches until none is left. */
  'campaign.deliver': { campaignId: string; slot: number };
  /** Decide a sign-up form submission (subscribe at once or ask for confirmation) and send its confirmation mail. */
  'signup.process': { signupId: string };
  /** Deliver one recipient's row (`messages.id`) of a message taken by the relay or the messages API. */
  'relay.deliver': { messageId: string };
  /** POST one batch of events (`webhook_deliveries.id`) to its endpoint; retried from the row with backoff. */
  'webhook.deliver': { deliveryId: string };
}

export type JobName = keyof JobPayloads;
