import { randomBytes } from 'node:crypto';
import {
  Clock,
  Db,
  HERALD_CONFIG,
  type HeraldConfig,
  type JobPayloads,
  OutgoingEvents,
  type PeriodicTask,
  runPeriodically,
} from '@herald/common';
import { ListsService, OptIns, SuppressionsService } from '@herald/contacts';
import { type DispatchKind, MessageDispatch, retryAt, SendersService } from '@herald/delivery';
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
import { ConfirmTokens } from './confirm-token.js';
import { confirmationMail } from './confirmation-mail.js';
import { SignupQueue, SIGNUP_QUEUE } from './signup-queue.js';
import type { SignupRow } from './signups.service.js';
import * as q from './signups.sql.js';
import { subscribedEvent } from './subscribed-event.js';

/** Confirmation mails one address may be sent per list and day, whoever fills in the form. */
export const MAX_MAILS_PER_ADDRESS_AND_DAY = 3;
/** A mail left `sending` this long belongs to a dead worker and is tried again. */
const MAIL_LEASE_SECONDS = 600;
/** Submissions and mails the tick re-adds at most per run. */
const TICK_BATCH = 200;

type Decision = 'mail' | 'done';

interface ReceivedRow extends SignupRow {
  enabled: boolean | null;
  double_opt_in: boolean | null;
  form_sender_id: string | null;
}

/**
 * What the worker does with a submission, all from its row: decide it
 * (subscribe at once, ask for confirmation, or refuse silently), then send
 * its confirmation mail through `MessageDispatch`, within the sender's rate
 * and daily quota, recording each outcome with a conditional update.
 */
@Injectable()
export class SignupWorkflow {
  private readonly logger = new Logger('Signups');

  constructor(
    private readonly db: Db,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly clock: Clock,
    private readonly suppressions: SuppressionsService,
    private readonly optIns: OptIns,
    private readonly lists: ListsService,
    private readonly senders: SendersService,
    private readonly dispatch: MessageDispatch,
    private readonly tokens: ConfirmTokens,
    private readonly outgoing: OutgoingEvents,
  ) {}

  async run(signupId: string, signal?: AbortSignal): Promise<void> {
    await this.decide(signupId);
    await this.mail(signupId, signal);
  }

  /**
   * A single opt-in list subscribes an address at once unless it is
   * suppressed; a suppressed address, and every address of a double opt-in
   * list, is asked to confirm. Complaints and operators' suppressions get
   * nothing, and no address gets more than a few confirmation mails a day.
   */
  async decide(signupId: string): Promise<Decision> {
    return this.db.transaction(async (tx) => {
      const row = await tx.maybeOne<ReceivedRow>(q.LOCK_RECEIVED, [signupId]);
      if (row === undefined) return 'mail';
      const refuse = async (note: string) => {
        await tx.execute(q.DECIDE, [row.id, 'refused', note, null, null]);
        return 'done' as const;
      };
      if (row.list_id === null || row.enabled !== true) return refuse('the form was switched off or its list deleted');
      const reason = await this.suppressions.reasonFor(tx, row.email);
      if (reason === 'complained' || reason === 'manual') return refuse(`suppressed (${reason}): no mail sent`);
      if (row.double_opt_in === false && reason === undefined) {
        const result = await this.optIns.subscribe(tx, {
          email: row.email,
          firstName: row.first_name,
          lastName: row.last_name,
          attributes: row.attributes as Parameters<OptIns['subscribe']>[1]['attributes'],
          listId: row.list_id,
          consentSource: `sign-up form of list ${row.list_id} (signup ${row.id}, consent v${row.consent_version}), single opt-in`,
          consentAt: row.created_at,
          overwrite: false,
          lift: [],
        });
        if (result.subscribed) {
          await tx.execute(q.DECIDE, [row.id, 'subscribed', null, null, null]);
          await this.outgoing.publish(tx, [
            subscribedEvent(
              { id: row.id, email: row.email, listId: row.list_id },
              result.contactId,
              false,
              new Date(this.clock.now()),
            ),
          ]);
          return 'done';
        }
      }
      const recent = await tx.one<{ n: number }>(q.RECENT_MAILS, [row.email, row.list_id, row.id]);
      if (recent.n >= MAX_MAILS_PER_ADDRESS_AND_DAY)
        return refuse('confirmation mails to this address: daily limit reached');
      if (row.form_sender_id === null) return refuse('the form has no sender');
      await tx.execute(q.DECIDE, [row.id, 'pending', null, 'queued', row.form_sender_id]);
      return 'mail';
    });
  }

  /** Sends the submission's confirmation mail if it is due and no other worker holds it. */
  async mail(signupId: string, signal?: AbortSignal): Promise<void> {
    const row = await this.db.maybeOne<SignupRow>(q.CLAIM_MAIL, [signupId, MAIL_LEASE_SECONDS]);
    if (row === undefined) return;
    const record = (status: string, reply: string | null, nextAttemptAt: Date | null = null) =>
      this.db.execute(q.MAIL_OUTCOME, [row.id, status, reply?.slice(0, 1000) ?? null, nextAttemptAt]);
    const retry = async (reply: string) => {
      const at = retryAt(
        { attempts: row.mail_attempts, createdAt: row.created_at },
        this.clock.now(),
        this.config.HERALD_DEFER_MAX_AGE_HOURS,
      );
      await (at === null ? record('failed', reply) : record('deferred', reply, at));
    };
    const [sender] = row.sender_id === null ? [] : await this.senders.forSending([row.sender_id]).catch(() => []);
    if (sender === undefined) return void (await record('failed', 'the sender was deleted'));
    if (sender.disabledReason !== null) return retry(`the sender is out of service: ${sender.disabledReason}`);
    let listName: string;
    try {
      listName = row.list_id === null ? '' : (await this.lists.get(row.list_id)).name;
    } catch {
      return void (await record('failed', 'the list was deleted'));
    }
    const url = new URL(
      `subscribe/confirm/${this.tokens.sign(row.id, row.expires_at)}`,
      this.config.PUBLIC_URL.replace(/\/?$/, '/'),
    ).href;
    const content = confirmationMail(
      row.language,
      { email: row.email, list: listName, url },
      { senderName: sender.fromName ?? sender.name, postalAddress: sender.postalAddress },
    );
    const kind: DispatchKind = {
      feedbackId: `${row.list_id ?? 0}:${sender.id}:signup:herald`,
      idPrefix: 's',
      returnPath: 'from',
    };
    const outcome = await this.dispatch.send(
      sender,
      kind,
      { messageId: row.id, token: randomBytes(16).toString('base64url'), to: row.email, ...content },
      signal,
    );
    switch (outcome.kind) {
      case 'sent':
      case 'bounced':
      case 'uncertain':
        await record(outcome.kind, outcome.reply);
        break;
      case 'deferred':
      case 'sender_failed':
        await retry(outcome.reply);
        break;
      case 'unbuildable':
        await record('failed', `not sent: ${outcome.reason}`);
        break;
      case 'quota_exhausted':
        await this.db.execute(q.RELEASE_MAIL, [row.id, outcome.resumesAt, "the sender's daily limit is reached"]);
        break;
      case 'aborted':
        await this.db.execute(q.RELEASE_MAIL, [row.id, new Date(this.clock.now()), null]);
        break;
    }
    if (outcome.kind !== 'sent') this.logger.warn({ signupId: row.id, outcome: outcome.kind }, 'signup.mail_not_sent');
  }

  /** Ids of submissions to decide and mails due (the tick adds their jobs). */
  async due(): Promise<string[]> {
    return (await this.db.rows<{ id: string }>(q.DUE, [MAIL_LEASE_SECONDS, TICK_BATCH])).map((r) => r.id);
  }
}

/**
 * Sign-up jobs. A job only carries the id; a job lost with Redis or a
 * worker is added again by the tick from the rows, and running one twice
 * does nothing the second time (every step is conditional on the row).
 */
@Processor(SIGNUP_QUEUE, { concurrency: 8 })
export class SignupsProcessor extends WorkerHost implements OnModuleDestroy {
  private readonly shutdown = new AbortController();

  constructor(private readonly workflow: SignupWorkflow) {
    super();
  }

  async process(job: Job<JobPayloads['signup.process']>): Promise<void> {
    await this.workflow.run(job.data.signupId, this.shutdown.signal);
  }

  onModuleDestroy(): void {
    this.shutdown.abort();
  }
}

/**
 * Every HERALD_SCHEDULER_TICK_MS in every worker: re-adds the jobs of
 * submissions not decided yet and of mails due (deferred ones coming due,
 * quota waits ending, a dead worker's). Job ids are per submission, so
 * several workers ticking at once add each job once.
 */
@Injectable()
export class SignupTick implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Signups');
  private task: PeriodicTask | undefined;

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly workflow: SignupWorkflow,
    private readonly queue: SignupQueue,
  ) {}

  onApplicationBootstrap(): void {
    this.task = runPeriodically(
      () => this.tick(),
      this.config.HERALD_SCHEDULER_TICK_MS,
      (error) => this.logger.error({ err: error }, 'signup.tick_failed'),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task?.stop();
  }

  async tick(): Promise<void> {
    for (const id of await this.workflow.due()) await this.queue.process(id);
  }
}
