import {
  AppSecret,
  Db,
  decodeCursor,
  DomainError,
  HERALD_CONFIG,
  type HeraldConfig,
  ID_PATTERN,
  invalid,
  notFound,
  conflict,
  type Page,
  parseId,
  SecretBox,
  SecretBoxError,
  type Sql,
  toPage,
} from '@herald/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { domainToASCII } from 'node:url';
import { isIP } from 'node:net';
import { messageDomain } from '../mime/message-skeleton.js';
import { SandboxAddress } from '../sandbox/sandbox-address.js';
import { checkDns, type DnsExpectation } from './dns-check.js';
import { DnsResolver } from './dns-resolver.js';
import { dkimRecord, generateDkimKey, parseDkimKey } from './dkim.js';
import type { SenderSecurity, SendingSender } from './sender.js';
import {
  checkAddress,
  checkDomain,
  checkHost,
  checkPostalAddress,
  checkSelector,
  checkTimeZone,
  headerSafe,
  resolveSecurity,
} from './sender-input.js';
import type { DnsRecordView, SenderDnsCheckView, SenderDnsView, SenderView, VerifyResultView } from './senders.dto.js';
import {
  INSERT_SANDBOX_SENDER,
  INSERT_SENDER,
  SANDBOX_SENDER_DEFAULTS,
  SANDBOX_SENDER_LOCK_KEY,
  SENDER_COLUMNS,
  type SenderRow,
  UPDATE_SENDER,
  WRITABLE_COLUMNS,
} from './senders.sql.js';
import { verifySmtp } from './smtp-verify.js';

/** An SMTP sender as the operator enters it; secrets in plain text here only, sealed before they are stored. */
export interface NewSender {
  name: string;
  host: string;
  port: number;
  /** Defaults to `tls` on port 465 and `starttls` elsewhere. */
  security?: SenderSecurity;
  username?: string | null;
  password?: string | null;
  fromEmail: string;
  fromName?: string | null;
  replyTo?: string | null;
  postalAddress: string;
  ratePerSecond?: number;
  dailyLimit?: number | null;
  timeZone?: string;
  poolSize?: number;
  dkimDomain?: string | null;
  dkimSelector?: string | null;
  /** PEM; alternatively `dkimGenerate`. */
  dkimPrivateKey?: string;
  dkimGenerate?: boolean;
}

/** Absent keys stay; null clears what may be cleared (username, password, names, DKIM). */
export type SenderChanges = Partial<NewSender>;

/** The row's writable columns, in WRITABLE_COLUMNS order. */
type SenderState = Pick<SenderRow, (typeof WRITABLE_COLUMNS)[number]>;

/** Fields that describe the SMTP connection: the sandbox sender takes them from the config. */
const CONNECTION_FIELDS = ['host', 'port', 'security', 'username', 'password'] as const;

const SECRETS_LABEL = 'sender secrets';
const PG_FOREIGN_KEY_VIOLATION = '23503';
const MAX_REASON_CHARS = 500;
/**
 * The relay looks up the senders of a domain twice per message (envelope
 * sender, From field), and the inbound listener once per report: a found
 * lookup is reused this long. Changes made in this process are seen at
 * once; a sender added elsewhere is found at once too (only found lookups
 * are kept), and one deleted or moved elsewhere is seen within this time.
 */
const DOMAIN_LOOKUP_REUSE_MS = 2_000;
const MAX_DOMAIN_LOOKUPS = 1_000;

/** A sender whose From address is in a domain, as `forDomain` finds it. */
export interface SenderOfDomain {
  id: string;
  fromEmail: string;
}
/** The local part of the DMARC aggregate report address Herald suggests: rua=mailto:dmarc-reports@<domain>. */
const DMARC_REPORT_MAILBOX = 'dmarc-reports';

/**
 * SMTP senders: what the API edits and what sending reads. Passwords and DKIM
 * private keys are sealed (AES-256-GCM, a key derived from the app secret)
 * before they reach the database; they leave this service only inside a
 * `SendingSender`, for the sending path.
 */
@Injectable()
export class SendersService {
  private readonly logger = new Logger(SendersService.name);
  private secretBox: SecretBox | undefined;

  private readonly domainLookups = new Map<string, { at: number; senders: SenderOfDomain[] }>();

  constructor(
    private readonly db: Db,
    private readonly appSecret: AppSecret,
    private readonly sandbox: SandboxAddress,
    private readonly resolver: DnsResolver,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  async list(limit: number, cursor?: string): Promise<Page<SenderView>> {
    const after = decodeCursor(cursor);
    const rows = await this.db.rows<SenderRow>(
      `SELECT ${SENDER_COLUMNS} FROM senders WHERE ($1::bigint IS NULL OR id > $1) ORDER BY id LIMIT $2`,
      [after ?? null, limit + 1],
    );
    return toPage(rows, limit, (row) => this.toView(row));
  }

  async get(id: string): Promise<SenderView> {
    return this.toView(await this.find(this.db, id));
  }

  async create(input: NewSender): Promise<SenderView> {
    const state = this.resolve(undefined, input);
    const row = await this.db.one<SenderRow>(
      INSERT_SENDER,
      WRITABLE_COLUMNS.map((c) => state[c]),
    );
    this.domainLookups.clear();
    this.logger.log({ senderId: row.id }, 'sender.created');
    return this.toView(row);
  }

  /** Any change puts a sender that sending took out of service back in: the operator fixed it. */
  async update(id: string, changes: SenderChanges): Promise<SenderView> {
    const row = await this.db.transaction(async (tx) => {
      const current = await this.find(tx, id, true);
      const state = this.resolve(current, changes);
      return tx.one<SenderRow>(UPDATE_SENDER, [current.id, ...WRITABLE_COLUMNS.map((c) => state[c])]);
    });
    this.domainLookups.clear();
    this.logger.log({ senderId: row.id }, 'sender.updated');
    return this.toView(row);
  }

  async remove(id: string): Promise<void> {
    let deleted: number;
    try {
      deleted = await this.db.execute(`DELETE FROM senders WHERE id = $1`, [parseId(id)]);
    } catch (error) {
      if ((error as { code?: unknown }).code === PG_FOREIGN_KEY_VIOLATION) {
        throw conflict(`Sender ${id} is used by a campaign; remove it from those campaigns (or delete them) first`, {
          id: 'used by a campaign',
        });
      }
      throw error;
    }
    this.domainLookups.clear();
    if (deleted === 0) throw notFound('Sender', id);
  }

  /** The records to publish for the From domain: SPF, DKIM (once there is a key) and a monitoring DMARC. */
  async dns(id: string): Promise<SenderDnsView> {
    const row = await this.find(this.db, id);
    const expect = this.dnsExpectation(row);
    return {
      domain: expect.domain,
      spf: txt(
        expect.envelopeDomain,
        expect.spf.record,
        'Allows the SMTP server to send for this domain (bounces come back to it). If your provider documents an ' +
          '`include:` (such as include:spf.provider.com), use theirs instead; merge with an SPF record you already have: ' +
          'a domain has one.',
      ),
      dkim: this.dkimView(row),
      dmarc: txt(
        `_dmarc.${expect.domain}`,
        expect.dmarc.record,
        'Monitoring only: receivers report but reject nothing; reports go to the rua address (create that mailbox, or ' +
          'put a DMARC report service there). Tighten to p=quarantine once SPF and DKIM pass.',
      ),
    };
  }

  /**
   * Looks the records up and says for each whether it is published and
   * right, and whether DKIM and the envelope domain align with From. DNS
   * trouble is reported in the checks (`error`), never thrown.
   */
  async checkDns(id: string): Promise<SenderDnsCheckView> {
    const row = await this.find(this.db, id);
    const expect = this.dnsExpectation(row);
    const checks = await checkDns(expect, (name) => this.resolver.txt(name));
    return {
      senderId: row.id,
      domain: expect.domain,
      resolver: this.resolver.describe(),
      checkedAt: new Date().toISOString(),
      ok: checks.every((c) => c.status === 'ok'),
      checks,
    };
  }

  private dnsExpectation(row: SenderRow): DnsExpectation {
    const domain = domainToASCII(messageDomain(row.from_email));
    const host = row.kind === 'sandbox' ? this.sandbox.host : row.host;
    const mechanism = isIP(host) === 4 ? `ip4:${host}` : isIP(host) === 6 ? `ip6:${host}` : `a:${host}`;
    const dkim = this.dkimView(row);
    return {
      domain,
      envelopeDomain: domain,
      spf: { mechanism, record: `v=spf1 ${mechanism} ~all` },
      dkim:
        dkim === null
          ? null
          : {
              domain: row.dkim_domain!,
              selector: row.dkim_selector!,
              publicKey: row.dkim_public_key!,
              record: dkim.value,
            },
      dmarc: { record: `v=DMARC1; p=none; rua=mailto:${DMARC_REPORT_MAILBOX}@${domain}` },
    };
  }

  /** Connects and signs in as sending would, and says what happened in plain words. */
  async verify(id: string): Promise<VerifyResultView> {
    const [sender] = await this.forSending([parseId(id)]);
    return verifySmtp(sender, this.config.HERALD_SMTP_VERIFY_TIMEOUT_MS);
  }

  /** Senders with their secrets opened, in the order asked; an unknown id is a 404 naming `senderIds`. */
  async forSending(ids: string[]): Promise<SendingSender[]> {
    const wanted = checkIds(ids, 'senderIds');
    const rows = await this.db.rows<SenderRow>(`SELECT ${SENDER_COLUMNS} FROM senders WHERE id = ANY($1::bigint[])`, [
      wanted,
    ]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const missing = [...new Set(wanted.filter((id) => !byId.has(id)))];
    if (missing.length > 0) {
      throw new DomainError('not_found', `Sender ${missing.join(', ')} does not exist`, {
        senderIds: `unknown sender ${missing.join(', ')}`,
      });
    }
    return wanted.map((id) => this.toSending(byId.get(id)!));
  }

  /**
   * The senders whose From address is in `domain` (case-insensitive), an
   * exact match of `address` first, then by id: the relay picks the first.
   */
  async forDomain(domain: string, address?: string): Promise<SenderOfDomain[]> {
    const key = `${domain.toLowerCase()} ${address?.toLowerCase() ?? ''}`;
    const known = this.domainLookups.get(key);
    if (known !== undefined && Date.now() - known.at < DOMAIN_LOOKUP_REUSE_MS) return known.senders;
    const rows = await this.db.rows<{ id: string; from_email: string }>(
      `SELECT id, from_email FROM senders
       WHERE lower(split_part(from_email, '@', 2)) = lower($1)
       ORDER BY lower(from_email) = lower($2) DESC, id`,
      [domain, address ?? ''],
    );
    const senders = rows.map((r) => ({ id: r.id, fromEmail: r.from_email }));
    if (senders.length > 0) {
      if (this.domainLookups.size >= MAX_DOMAIN_LOOKUPS) this.domainLookups.clear();
      this.domainLookups.set(key, { at: Date.now(), senders });
    }
    return senders;
  }

  /** Inside the caller's transaction: a 400 naming `field` if any of the senders does not exist. */
  async requireExist(tx: Sql, ids: string[], field = 'senderIds'): Promise<void> {
    const wanted = checkIds(ids, field);
    if (wanted.length === 0) return;
    // KEY SHARE: a sender cannot be deleted between this check and the caller's insert.
    const found = await tx.rows<{ id: string }>(`SELECT id FROM senders WHERE id = ANY($1::bigint[]) FOR KEY SHARE`, [
      wanted,
    ]);
    const present = new Set(found.map((r) => r.id));
    const missing = [...new Set(wanted.filter((id) => !present.has(id)))];
    if (missing.length > 0) {
      throw invalid(`${field}: sender ${missing.join(', ')} does not exist`, {
        [field]: `unknown sender ${missing.join(', ')}`,
      });
    }
  }

  /**
   * Takes a sender out of service until an operator changes it (authentication
   * refused, TLS refused...). A sender deleted meanwhile has nothing to take out.
   */
  async disable(id: string, reason: string): Promise<void> {
    const text = reason.replace(/[\r\n]+/g, ' ').slice(0, MAX_REASON_CHARS);
    const changed = await this.db.execute(
      `UPDATE senders SET disabled_reason = $2, disabled_at = now(), updated_at = now() WHERE id = $1`,
      [parseId(id), text],
    );
    if (changed > 0) this.logger.warn({ senderId: id, reason: text }, 'sender.disabled');
  }

  /** The sandbox sender, created if there is none: the default sender of a fresh install. */
  async sandboxSenderId(): Promise<string> {
    const existing = await this.db.maybeOne<{ id: string }>(
      `SELECT id FROM senders WHERE kind = 'sandbox' ORDER BY id LIMIT 1`,
    );
    if (existing) return existing.id;
    return this.db.transaction(async (tx) => {
      const created = await this.insertSandboxSender(tx, 'sandbox');
      return (
        created ??
        (await tx.one<{ id: string }>(`SELECT id FROM senders WHERE kind = 'sandbox' ORDER BY id LIMIT 1`)).id
      );
    });
  }

  /** At start: a fresh install (no sender at all) gets the sandbox sender. Returns its id when one was created. */
  async seedSandboxSender(): Promise<string | undefined> {
    const id = await this.db.transaction((tx) => this.insertSandboxSender(tx, 'any'));
    if (id !== undefined) this.logger.log({ senderId: id }, 'sender.sandbox_created');
    return id;
  }

  /**
   * Adds the sandbox sender unless a sender (`any`) or a sandbox sender
   * (`sandbox`) exists. The advisory lock, held to the end of the caller's
   * transaction, keeps processes starting together from adding one each.
   */
  private async insertSandboxSender(tx: Sql, unless: 'any' | 'sandbox'): Promise<string | undefined> {
    await tx.rows(`SELECT pg_advisory_xact_lock($1::bigint)`, [SANDBOX_SENDER_LOCK_KEY]);
    const d = SANDBOX_SENDER_DEFAULTS;
    const created = await tx.maybeOne<{ id: string }>(INSERT_SANDBOX_SENDER, [
      d.name,
      this.sandbox.host,
      // The row's port is a placeholder (sending resolves it from config); 0 does not fit its CHECK.
      this.config.HERALD_SANDBOX_SMTP_PORT || 1025,
      d.fromEmail,
      d.fromName,
      d.postalAddress,
      d.ratePerSecond,
      unless,
    ]);
    return created?.id;
  }

  private async find(m: Sql, id: string, lock = false): Promise<SenderRow> {
    const row = await m.maybeOne<SenderRow>(
      `SELECT ${SENDER_COLUMNS} FROM senders WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
      [parseId(id)],
    );
    if (row === undefined) throw notFound('Sender', id);
    return row;
  }

  private box(): SecretBox {
    this.secretBox ??= new SecretBox(this.appSecret.value, SECRETS_LABEL);
    return this.secretBox;
  }

  /** The next state of a sender from its current row (none on create) and the input; every check is here. */
  private resolve(current: SenderRow | undefined, input: SenderChanges): SenderState {
    if (current?.kind === 'sandbox') {
      const field = CONNECTION_FIELDS.find((f) => input[f] !== undefined);
      if (field) {
        throw invalid(`${field} cannot be changed on the sandbox sender: it delivers into Herald's own inbox`, {
          [field]: 'not settable on the sandbox sender',
        });
      }
    }
    const name = headerSafe('name', input.name ?? current!.name);
    if (name === '') throw invalid('name must not be empty', { name: 'is empty' });
    const port = input.port ?? current!.port;
    const portChanged = current !== undefined && input.port !== undefined && input.port !== current.port;
    const security =
      input.security !== undefined || current === undefined || portChanged
        ? resolveSecurity(port, input.security)
        : resolveSecurity(port, current.security);

    const rate = input.ratePerSecond ?? (current ? Number(current.rate_per_second) : 10);
    if (!Number.isFinite(rate) || rate <= 0) {
      throw invalid('ratePerSecond must be above 0', { ratePerSecond: 'must be above 0' });
    }
    const poolSize = input.poolSize ?? current?.pool_size ?? 2;
    if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 50) {
      throw invalid('poolSize must be from 1 to 50', { poolSize: 'must be from 1 to 50' });
    }
    const dailyLimit = input.dailyLimit === undefined ? (current?.daily_limit ?? null) : input.dailyLimit;
    if (dailyLimit !== null && (!Number.isInteger(dailyLimit) || dailyLimit < 1)) {
      throw invalid('dailyLimit must be a whole number above 0, or null for no limit', {
        dailyLimit: 'must be above 0',
      });
    }

    return {
      name,
      host: checkHost(input.host ?? current!.host),
      port,
      security,
      username: optional(input.username, current?.username ?? null, (v) => headerSafe('username', v)),
      password_encrypted:
        input.password === undefined
          ? (current?.password_encrypted ?? null)
          : input.password === null || input.password === ''
            ? null
            : this.box().seal(input.password),
      from_email: checkAddress('fromEmail', input.fromEmail ?? current!.from_email),
      from_name: optional(input.fromName, current?.from_name ?? null, (v) => headerSafe('fromName', v)),
      reply_to: optional(input.replyTo, current?.reply_to ?? null, (v) => checkAddress('replyTo', v)),
      postal_address: checkPostalAddress(input.postalAddress ?? current!.postal_address),
      rate_per_second: String(rate),
      daily_limit: dailyLimit,
      time_zone: checkTimeZone(input.timeZone ?? current?.time_zone ?? 'UTC'),
      pool_size: poolSize,
      ...this.resolveDkim(current, input),
    };
  }

  private resolveDkim(
    current: SenderRow | undefined,
    input: SenderChanges,
  ): Pick<SenderState, 'dkim_domain' | 'dkim_selector' | 'dkim_private_key_encrypted' | 'dkim_public_key'> {
    const uploaded = input.dkimPrivateKey;
    const generate = input.dkimGenerate === true;
    if (uploaded !== undefined && generate) {
      throw invalid('give either dkimPrivateKey or dkimGenerate, not both', {
        dkimGenerate: 'not with dkimPrivateKey',
      });
    }
    const domain = input.dkimDomain === undefined ? (current?.dkim_domain ?? null) : input.dkimDomain || null;
    const selector = input.dkimSelector === undefined ? (current?.dkim_selector ?? null) : input.dkimSelector || null;
    if (domain === null && selector === null) {
      if (uploaded !== undefined || generate) {
        throw invalid('dkimDomain and dkimSelector are needed with a DKIM key', { dkimDomain: 'required with a key' });
      }
      return { dkim_domain: null, dkim_selector: null, dkim_private_key_encrypted: null, dkim_public_key: null };
    }
    if (domain === null)
      throw invalid('dkimDomain is needed with dkimSelector', { dkimDomain: 'required with dkimSelector' });
    if (selector === null)
      throw invalid('dkimSelector is needed with dkimDomain', { dkimSelector: 'required with dkimDomain' });
    const names = { dkim_domain: checkDomain(domain), dkim_selector: checkSelector(selector) };
    if (uploaded !== undefined || generate) {
      const pair = uploaded !== undefined ? parseDkimKey(uploaded) : generateDkimKey();
      return {
        ...names,
        dkim_private_key_encrypted: this.box().seal(pair.privateKeyPem),
        dkim_public_key: pair.publicKey,
      };
    }
    if (current?.dkim_private_key_encrypted) {
      return {
        ...names,
        dkim_private_key_encrypted: current.dkim_private_key_encrypted,
        dkim_public_key: current.dkim_public_key,
      };
    }
    throw invalid('DKIM needs a key: upload dkimPrivateKey (PEM) or set dkimGenerate: true', {
      dkimPrivateKey: 'required with dkimDomain (or dkimGenerate: true)',
    });
  }

  /** What the API view and the sending path read alike; a sandbox sender's address comes from config. */
  private settings(row: SenderRow) {
    const sandbox = row.kind === 'sandbox';
    return {
      id: row.id,
      kind: row.kind,
      name: row.name,
      host: sandbox ? this.sandbox.host : row.host,
      port: sandbox ? this.sandbox.port : row.port,
      security: sandbox ? ('none' as const) : row.security,
      fromEmail: row.from_email,
      fromName: row.from_name,
      replyTo: row.reply_to,
      postalAddress: row.postal_address,
      ratePerSecond: Number(row.rate_per_second),
      dailyLimit: row.daily_limit,
      timeZone: row.time_zone,
      poolSize: row.pool_size,
    };
  }

  private toView(row: SenderRow): SenderView {
    return {
      ...this.settings(row),
      username: row.username,
      hasPassword: row.password_encrypted !== null,
      dkimDomain: row.dkim_domain,
      dkimSelector: row.dkim_selector,
      hasDkimKey: row.dkim_private_key_encrypted !== null,
      dkimPublicKey: row.dkim_public_key,
      dkimRecord: this.dkimView(row),
      disabledReason: this.disabledReason(row),
      disabledAt: row.disabled_at?.toISOString() ?? null,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    };
  }

  private dkimView(row: SenderRow): DnsRecordView | null {
    if (!row.dkim_domain || !row.dkim_selector || !row.dkim_public_key) return null;
    const record = dkimRecord(row.dkim_domain, row.dkim_selector, row.dkim_public_key);
    return txt(record.name, record.value, 'Lets receivers check the DKIM signature Herald puts on every message.');
  }

  private disabledReason(row: SenderRow): string | null {
    if (row.disabled_reason) return row.disabled_reason;
    if (row.kind === 'sandbox' && !this.sandbox.enabled) {
      return 'The sandbox inbox is switched off (HERALD_SANDBOX_ENABLED=false)';
    }
    if (row.kind === 'sandbox' && this.sandbox.port === 0) {
      // Port 0 is only known to the process that bound it; a worker elsewhere cannot reach it.
      return 'The sandbox inbox picks a free port in another process (HERALD_SANDBOX_SMTP_PORT=0); set a fixed port';
    }
    return null;
  }

  private toSending(row: SenderRow): SendingSender {
    const sandbox = row.kind === 'sandbox';
    let disabledReason = this.disabledReason(row);
    const open = (sealed: Buffer | null, what: string): string | null => {
      if (sealed === null) return null;
      try {
        return this.box().openText(sealed);
      } catch (error) {
        if (!(error instanceof SecretBoxError)) throw error;
        // The app secret changed since it was stored: nothing to send with until it is entered again.
        disabledReason ??= `The stored ${what} cannot be decrypted (was HERALD_SECRET changed?); enter it again`;
        return null;
      }
    };
    const password = sandbox ? null : open(row.password_encrypted, 'password');
    const privateKey = open(row.dkim_private_key_encrypted, 'DKIM private key');
    return {
      ...this.settings(row),
      username: sandbox ? null : row.username,
      password,
      dkim:
        row.dkim_domain && row.dkim_selector && privateKey
          ? { domain: row.dkim_domain, selector: row.dkim_selector, privateKey }
          : null,
      disabledReason,
    };
  }
}

function txt(name: string, value: string, note: string): DnsRecordView {
  return { type: 'TXT', name, value, note };
}

/** Absent: keep `current`; null or empty: clear; otherwise the checked value. */
function optional(
  value: string | null | undefined,
  current: string | null,
  check: (v: string) => string,
): string | null {
  if (value === undefined) return current;
  if (value === null || value.trim() === '') return null;
  return check(value);
}

function checkIds(ids: string[], field: string): string[] {
  if (!Array.isArray(ids)) throw invalid(`${field} must be a list of sender ids`, { [field]: 'not a list' });
  const bad = ids.find((id) => typeof id !== 'string' || !ID_PATTERN.test(id));
  if (bad !== undefined)
    throw invalid(`${field} must hold sender ids such as "42"`, { [field]: 'holds a malformed id' });
  return ids;
}
