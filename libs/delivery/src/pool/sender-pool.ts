import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown, Optional } from '@nestjs/common';
import type { SendingSender } from '../senders/sender.js';
import { type LaneSettings, SmtpLane, type SmtpError } from './smtp-lane.js';

export type SendOutcome =
  | { kind: 'sent'; reply: string }
  | { kind: 'deferred'; reply: string; slowDown: boolean } // 4xx or connection error before DATA end; 421/454 slowDown=true
  | { kind: 'bounced'; reply: string } // 5xx for this recipient
  | { kind: 'uncertain'; reply: string } // connection lost after the final '.' with no reply
  | { kind: 'sender_failed'; reply: string; reason: string }; // auth refused, TLS refused, repeated connection failures: take sender out

export interface SenderPoolOptions {
  connectionTimeoutMs: number;
  greetingTimeoutMs: number;
  /** Longest silence within a session, the wait for the reply to the final `.` included. */
  socketTimeoutMs: number;
  /** Connection failures in a row (no SMTP reply at all) after which a sender is taken out. */
  maxConnectionFailures: number;
}

export const SENDER_POOL_OPTIONS = Symbol('SENDER_POOL_OPTIONS');

/** Where the running sandbox inbox listens; sandbox senders are sent there whatever their row says. */
export interface SandboxEndpoint {
  address(): { host: string; port: number } | null;
}
export const SANDBOX_ENDPOINT = Symbol('SANDBOX_ENDPOINT');

const DEFAULTS: SenderPoolOptions = {
  connectionTimeoutMs: 30_000,
  greetingTimeoutMs: 30_000,
  socketTimeoutMs: 120_000,
  maxConnectionFailures: 5,
};

interface Group {
  fingerprint: string;
  settings: LaneSettings;
  size: number;
  lanes: SmtpLane[];
  opening: number;
  /** Sends waiting for a connection; woken with the error when a connection opened ahead (`warm`) failed. */
  waiting: ((failure?: SmtpError) => void)[];
  retired: boolean;
}

/** Messages one connection carries before it is replaced: long sessions are where servers start to refuse. */
const MESSAGES_PER_CONNECTION = 1000;
const CONNECTION_CODES = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS']);

const TLS_FAILURE = /^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_(GET|VERIFY))/;

/**
 * Up to `poolSize` SMTP connections per sender, reused from message to
 * message, each message handed over raw with its own envelope, and every
 * result turned into a `SendOutcome`. A connection lost without a reply is
 * `uncertain` when the whole message, final `.` included, had been written
 * to it (the server may have it), and `deferred` otherwise (it cannot):
 * `SmtpLane` tells the two apart, which nodemailer's own pool does not.
 */
@Injectable()
export class SenderPool implements OnApplicationShutdown {
  private readonly options: SenderPoolOptions;
  private readonly groups = new Map<string, Group>();
  private readonly connectionFailures = new Map<string, number>();

  constructor(
    @Optional() @Inject(SENDER_POOL_OPTIONS) options?: Partial<SenderPoolOptions>,
    @Optional() @Inject(SANDBOX_ENDPOINT) private readonly sandbox?: SandboxEndpoint,
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Never throws: every failure is an outcome. */
  async send(sender: SendingSender, envelope: { from: string; to: string }, raw: Buffer): Promise<SendOutcome> {
    try {
      const group = this.groupFor(sender);
      for (let attempt = 0; ; attempt += 1) {
        let lane: SmtpLane;
        try {
          lane = await this.acquire(group);
        } catch (error) {
          return this.settle(sender.id, error as SmtpError);
        }
        try {
          const reply = await lane.send(envelope, raw);
          this.release(group, lane);
          this.connectionFailures.delete(sender.id);
          return { kind: 'sent', reply };
        } catch (error) {
          const err = error as SmtpError;
          // A refused envelope or message leaves the session usable; anything else ends it.
          const keep =
            (err.code === 'EENVELOPE' || err.code === 'EMESSAGE') && err.responseCode !== 421 && !lane.closed;
          if (!keep || !(await lane.reset())) lane.close();
          this.release(group, lane);
          // A kept connection the server had closed while idle: nothing went out, so once more on a fresh one.
          const stale = err.reused === true && !err.afterData && err.responseCode === undefined;
          if (attempt === 0 && stale && CONNECTION_CODES.has(err.code ?? '')) continue;
          return this.settle(sender.id, err);
        }
      }
    } catch (error) {
      return { kind: 'deferred', reply: error instanceof Error ? error.message : String(error), slowDown: false };
    }
  }

  /**
   * Opens connections ahead of the messages that will need them, up to
   * `count` (at most the pool's size), so that a message due at a reserved
   * throttle slot does not spend it on a connection's set-up. Never throws:
   * a connection that cannot be opened is reported by the send that waited
   * for it, or tried again by the next.
   */
  async warm(sender: SendingSender, count: number): Promise<void> {
    let group: Group;
    try {
      group = this.groupFor(sender);
    } catch {
      return;
    }
    group.lanes = group.lanes.filter((l) => !l.closed);
    const missing = Math.min(count, group.size) - group.lanes.length - group.opening;
    const opened: Promise<void>[] = [];
    for (let i = 0; i < missing; i++) {
      group.opening += 1;
      opened.push(
        SmtpLane.open(group.settings).then(
          (lane) => {
            group.opening -= 1;
            if (group.retired) lane.quit();
            else group.lanes.push(lane);
            group.waiting.shift()?.();
          },
          (error: SmtpError) => {
            // A send that waited for this connection fails as its own attempt would have, not after a second timeout.
            group.opening -= 1;
            group.waiting.shift()?.(error);
          },
        ),
      );
    }
    await Promise.all(opened);
  }

  /** Closes one sender's connections (its settings changed, it was taken out), or all of them. */
  async close(senderId?: string): Promise<void> {
    const ids = senderId === undefined ? [...this.groups.keys()] : [senderId];
    for (const id of ids) this.retire(id);
    if (senderId === undefined) this.connectionFailures.clear();
    else this.connectionFailures.delete(senderId);
    await Promise.resolve();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  private settle(senderId: string, err: SmtpError): SendOutcome {
    const outcome = this.classify(senderId, err);
    if (outcome.kind === 'sender_failed') this.retire(senderId);
    return outcome;
  }

  private classify(senderId: string, err: SmtpError): SendOutcome {
    const reply = (err.response ?? err.message).trim().slice(0, 1000);
    const code = err.responseCode;
    if (err.code === 'EAUTH') {
      if (code !== undefined && code >= 400 && code < 500) {
        this.connectionFailures.delete(senderId);
        return { kind: 'deferred', reply, slowDown: code === 454 };
      }
      return { kind: 'sender_failed', reply, reason: `authentication refused: ${reply}` };
    }
    if (err.code === 'ETLS') return { kind: 'sender_failed', reply, reason: `TLS refused: ${reply}` };
    if (err.originalCode !== undefined && TLS_FAILURE.test(err.originalCode)) {
      return { kind: 'sender_failed', reply, reason: `TLS failed: ${reply}` };
    }
    if (code !== undefined) {
      this.connectionFailures.delete(senderId);
      if (code >= 400 && code < 500) return { kind: 'deferred', reply, slowDown: code === 421 || code === 454 };
      if (err.command === 'RCPT TO' || err.command === 'DATA') return { kind: 'bounced', reply };
      if (err.command === 'MAIL FROM') {
        return { kind: 'sender_failed', reply, reason: `the server refuses the envelope sender: ${reply}` };
      }
      return { kind: 'sender_failed', reply, reason: `the server refuses the session: ${reply}` };
    }
    if (err.code === 'EENVELOPE' || err.code === 'EMESSAGE') {
      this.connectionFailures.delete(senderId);
      return { kind: 'bounced', reply };
    }
    if (err.afterData === true) {
      this.connectionFailures.delete(senderId);
      return { kind: 'uncertain', reply: `no reply after the end of data: ${reply}` };
    }
    const failures = (this.connectionFailures.get(senderId) ?? 0) + 1;
    this.connectionFailures.set(senderId, failures);
    if (failures >= this.options.maxConnectionFailures) {
      return { kind: 'sender_failed', reply, reason: `${failures} connection failures in a row: ${reply}` };
    }
    return { kind: 'deferred', reply, slowDown: false };
  }

  private groupFor(sender: SendingSender): Group {
    const endpoint = sender.kind === 'sandbox' ? this.sandbox?.address() : null;
    const settings: LaneSettings = {
      host: endpoint?.host ?? sender.host,
      port: endpoint?.port ?? sender.port,
      security: sender.kind === 'sandbox' ? 'none' : sender.security,
      auth:
        sender.kind === 'sandbox' || sender.username === null
          ? undefined
          : { user: sender.username, pass: sender.password ?? '' },
      connectionTimeoutMs: this.options.connectionTimeoutMs,
      greetingTimeoutMs: this.options.greetingTimeoutMs,
      socketTimeoutMs: this.options.socketTimeoutMs,
    };
    // Hashed: the password takes part but is not kept in the clear beside the connections.
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([settings.host, settings.port, settings.security, settings.auth, sender.poolSize]))
      .digest('hex');
    const current = this.groups.get(sender.id);
    if (current !== undefined && current.fingerprint === fingerprint) return current;
    if (current !== undefined) this.retire(sender.id);
    const group: Group = {
      fingerprint,
      settings,
      size: sender.poolSize,
      lanes: [],
      opening: 0,
      waiting: [],
      retired: false,
    };
    this.groups.set(sender.id, group);
    return group;
  }

  /** An idle connection, a new one while the sender has fewer than `poolSize`, or the next one freed. */
  private async acquire(group: Group): Promise<SmtpLane> {
    for (;;) {
      group.lanes = group.lanes.filter((l) => !l.closed);
      const idle = group.lanes.find((l) => !l.busy);
      if (idle !== undefined) {
        idle.busy = true;
        return idle;
      }
      if (group.lanes.length + group.opening < group.size) {
        group.opening += 1;
        try {
          const lane = await SmtpLane.open(group.settings);
          lane.busy = true;
          group.lanes.push(lane);
          return lane;
        } finally {
          group.opening -= 1;
          group.waiting.shift()?.();
        }
      }
      const failure = await new Promise<SmtpError | undefined>((resolve) => group.waiting.push(resolve));
      if (failure !== undefined) throw failure;
    }
  }

  private release(group: Group, lane: SmtpLane): void {
    lane.busy = false;
    if (group.retired || lane.messages >= MESSAGES_PER_CONNECTION) lane.quit();
    group.waiting.shift()?.();
  }

  /** Stops using a sender's connections: idle ones close now, busy ones when their message is done. */
  private retire(senderId: string): void {
    const group = this.groups.get(senderId);
    if (group === undefined) return;
    this.groups.delete(senderId);
    group.retired = true;
    for (const lane of group.lanes) if (!lane.busy) lane.quit();
    for (const wake of group.waiting.splice(0)) wake();
  }
}
