import { createHash } from 'node:crypto';
import { Clock, Db, DomainError, ID_PATTERN, invalid, OutgoingEvents, type Sql } from '@herald/common';
import { FieldsService, ListsService, normalizeEmail, OptIns } from '@herald/contacts';
import { SendersService } from '@herald/delivery';
import type { Language, MessageBranding } from '@herald/tracking';
import { Injectable, Logger } from '@nestjs/common';
import { ConfirmTokens } from './confirm-token.js';
import { FormsService, HONEYPOT } from './forms.service.js';
import { SignupIpLimit } from './ip-limit.js';
import { SignupQueue } from './signup-queue.js';
import * as q from './signups.sql.js';
import { subscribedEvent } from './subscribed-event.js';

/** How long a confirmation link works. */
export const CONFIRM_TTL_SECONDS = 7 * 86_400;
const MAX_NAME_CHARS = 200;
/** Suppressions a confirmed link lifts: the person asked again and proved the mailbox takes mail. */
export const LIFTED_BY_CONFIRMING = ['unsubscribed', 'bounced'] as const;

/** What a form post or JSON submission carries, checked. */
export interface Submission {
  email: string;
  firstName: string | null;
  lastName: string | null;
  attributes: Record<string, unknown>;
  consent: boolean;
}

/** The answer to every accepted submission of a list: it depends on the form, never on the address. */
export interface Accepted {
  listName: string;
  doubleOptIn: boolean;
  successUrl: string | null;
}

export interface SignupRow {
  id: string;
  list_id: string | null;
  email: string;
  first_name: string | null;
  last_name: string | null;
  attributes: Record<string, unknown>;
  language: Language;
  state: 'received' | 'pending' | 'confirmed' | 'subscribed' | 'refused';
  mail_status: string | null;
  sender_id: string | null;
  mail_attempts: number;
  created_at: Date;
  expires_at: Date;
  consent_version: string;
}

type PageRow = SignupRow & { form_sender_id: string | null; confirmed_url: string | null };

/** What the confirmation link leads to. */
export type Confirmation =
  | { kind: 'not_found' }
  | { kind: 'expired'; branding: MessageBranding | null }
  | { kind: 'already'; branding: MessageBranding | null }
  | { kind: 'refused'; branding: MessageBranding | null }
  | {
      kind: 'ask' | 'confirmed';
      email: string;
      listName: string;
      branding: MessageBranding | null;
      redirectTo: string | null;
    };

const TRUE = new Set(['yes', 'on', 'true', '1']);
const FORM_ALIASES: Record<string, string> = { first_name: 'firstName', last_name: 'lastName' };
/** `attributes.plan` or `attributes[plan]` in a form post. */
const FORM_ATTRIBUTE = /^attributes(?:\.([^.[\]]+)|\[([^[\]]+)\])$/;

/**
 * Sign-ups from public forms: takes submissions (the worker decides and
 * mails them) and confirms them from the mailed link. Nothing a caller sees
 * depends on whether the address is known, subscribed or suppressed.
 */
@Injectable()
export class SignupsService {
  private readonly logger = new Logger('Signups');

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly forms: FormsService,
    private readonly lists: ListsService,
    private readonly fields: FieldsService,
    private readonly senders: SendersService,
    private readonly optIns: OptIns,
    private readonly limit: SignupIpLimit,
    private readonly queue: SignupQueue,
    private readonly tokens: ConfirmTokens,
    private readonly outgoing: OutgoingEvents,
  ) {}

  /**
   * One submission: counted against the client's limit first, then checked.
   * A filled honeypot is answered like any other and leaves no trace. Every
   * other accepted submission costs the same: one row and one job, whatever
   * the address (the worker decides what it leads to).
   */
  async accept(
    rawListId: string,
    body: unknown,
    form: 'form' | 'json',
    ip: string,
    language: Language,
  ): Promise<Accepted> {
    await this.limit.count(ip);
    const settings = ID_PATTERN.test(rawListId) ? await this.forms.find(rawListId) : undefined;
    if (settings === undefined || !settings.enabled) {
      throw new DomainError('not_found', 'There is no sign-up form here');
    }
    const listName = (await this.lists.get(settings.list_id)).name;
    const accepted: Accepted = {
      listName,
      doubleOptIn: settings.double_opt_in,
      successUrl: settings.success_url,
    };
    const fields = bodyFields(body);
    const trap = fields[HONEYPOT];
    if (typeof trap === 'string' ? trap.trim() !== '' : trap !== undefined && trap !== null) return accepted;
    const submission = parseSubmission(fields, form);
    if (settings.consent_text.trim() !== '' && !submission.consent) {
      throw invalid('consent: the consent box must be ticked', { consent: 'must be given' });
    }
    const attributes = (await this.fields.check(submission.attributes)).set;
    const { id } = await this.db.one<{ id: string }>(q.INSERT_SIGNUP, [
      settings.list_id,
      submission.email,
      submission.firstName,
      submission.lastName,
      JSON.stringify(attributes),
      language,
      ip,
      settings.consent_text,
      settings.consent_version,
      createHash('sha256').update(settings.consent_text, 'utf8').digest('hex'),
      CONFIRM_TTL_SECONDS,
    ]);
    // The row is the truth: if Redis cannot take the job now, the worker's tick adds it.
    await this.queue.process(id).catch((error: unknown) => {
      this.logger.warn({ err: error, signupId: id }, 'signup.enqueue_failed');
    });
    return accepted;
  }

  /** What GET on a confirmation link shows: never changes anything (link scanners fetch it). */
  async lookup(token: string): Promise<Confirmation> {
    const found = await this.verified(this.db, token, false);
    if ('kind' in found) return found;
    const { row } = found;
    const listName = (await this.listName(row.list_id)) ?? '';
    return { kind: 'ask', email: row.email, listName, branding: found.branding, redirectTo: null };
  }

  /**
   * Confirms: the contact is created or updated, subscribed and added to
   * the list with its consent, in one transaction with the submission's
   * state. An unsubscribe or a bounce is lifted by confirming again; a
   * complaint or an operator's suppression stays (`refused`).
   */
  async confirm(token: string, ip: string): Promise<Confirmation> {
    return this.db.transaction(async (tx) => {
      const found = await this.verified(tx, token, true);
      if ('kind' in found) return found;
      const { row, branding } = found;
      const listName = await this.listName(row.list_id);
      if (row.list_id === null || listName === undefined) return { kind: 'not_found' } as const;
      let attributes: Record<string, unknown> = {};
      try {
        attributes = (await this.fields.check(row.attributes)).set;
      } catch {
        // A field deleted since the submission: its value goes, the subscription does not.
      }
      const result = await this.optIns.subscribe(tx, {
        email: row.email,
        firstName: row.first_name,
        lastName: row.last_name,
        attributes: attributes as Parameters<OptIns['subscribe']>[1]['attributes'],
        listId: row.list_id,
        consentSource: `sign-up form of list ${row.list_id} (signup ${row.id}, consent v${row.consent_version}), confirmed`,
        consentAt: new Date(this.clock.now()),
        overwrite: true,
        lift: LIFTED_BY_CONFIRMING,
      });
      if (!result.subscribed) {
        await tx.execute(q.CONFIRM, [row.id, 'refused', `suppressed (${result.suppressedAs})`, ip]);
        return { kind: 'refused', branding } as const;
      }
      const note = result.lifted === null ? null : `lifted the ${result.lifted} suppression`;
      await tx.execute(q.CONFIRM, [row.id, 'confirmed', note, ip]);
      await this.outgoing.publish(tx, [
        subscribedEvent(
          { id: row.id, email: row.email, listId: row.list_id },
          result.contactId,
          true,
          new Date(this.clock.now()),
        ),
      ]);
      return { kind: 'confirmed', email: row.email, listName, branding, redirectTo: row.confirmed_url } as const;
    });
  }

  /** The submission behind a token, or the page that answers a token that leads nowhere. */
  private async verified(
    m: Sql,
    token: string,
    lock: boolean,
  ): Promise<Confirmation | { row: PageRow; branding: MessageBranding | null }> {
    const verified = this.tokens.verify(token, this.clock.now());
    if (verified === null) return { kind: 'not_found' };
    const row = await m.maybeOne<PageRow>(lock ? q.LOCK_FOR_CONFIRM : q.FIND_FOR_PAGE, [verified.signupId]);
    if (row === undefined || row.state === 'received' || row.state === 'refused') return { kind: 'not_found' };
    const branding = await this.branding(row.sender_id ?? row.form_sender_id);
    if (row.state === 'confirmed' || row.state === 'subscribed') return { kind: 'already', branding };
    if (verified.expired || row.expires_at.getTime() <= this.clock.now()) return { kind: 'expired', branding };
    return { row, branding };
  }

  private async listName(listId: string | null): Promise<string | undefined> {
    if (listId === null) return undefined;
    try {
      return (await this.lists.get(listId)).name;
    } catch (error) {
      if (error instanceof DomainError && error.kind === 'not_found') return undefined;
      throw error;
    }
  }

  /** The footer of sign-up pages: the sender's name and postal address, as in its mail. */
  async branding(senderId: string | null): Promise<MessageBranding | null> {
    if (senderId === null) return null;
    try {
      const sender = await this.senders.get(senderId);
      return { senderName: sender.fromName ?? sender.name, postalAddress: sender.postalAddress };
    } catch (error) {
      if (error instanceof DomainError && error.kind === 'not_found') return null;
      throw error;
    }
  }
}

/** The body as flat fields; anything but an object is an empty submission. */
function bodyFields(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

const text = (value: unknown, field: string, problems: Record<string, string>): string | null => {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    problems[field] = 'must be text';
    return null;
  }
  const trimmed = value.trim();
  if (trimmed.length > MAX_NAME_CHARS) problems[field] = `must be at most ${MAX_NAME_CHARS} characters`;
  return trimmed === '' ? null : trimmed;
};

/**
 * Checks a submission's fields. JSON: `email`, `firstName`, `lastName`,
 * `attributes` (an object), `consent` (boolean). Form posts: the same names
 * (also `first_name`, `last_name`), `consent=yes`, and attributes as
 * `attributes.<name>` or `attributes[<name>]`. Any other field is a 400
 * naming it, every problem at once.
 */
export function parseSubmission(fields: Record<string, unknown>, form: 'form' | 'json'): Submission {
  const problems: Record<string, string> = {};
  const attributes: Record<string, unknown> = {};
  const values: Record<string, unknown> = {};
  for (const [rawKey, value] of Object.entries(fields)) {
    if (rawKey === HONEYPOT) continue;
    const key = form === 'form' ? (FORM_ALIASES[rawKey] ?? rawKey) : rawKey;
    const attribute = form === 'form' ? FORM_ATTRIBUTE.exec(key) : null;
    if (attribute !== null) attributes[attribute[1] ?? attribute[2]] = value;
    else if (['email', 'firstName', 'lastName', 'consent'].includes(key)) values[key] = value;
    else if (key === 'attributes' && form === 'json') {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        problems.attributes = 'must be an object';
      else Object.assign(attributes, value);
    } else problems[rawKey.slice(0, 64)] = 'is not a field of this form';
  }
  let email = '';
  if (typeof values.email !== 'string' || values.email.trim() === '') problems.email = 'is required';
  else {
    const checked = normalizeEmail(values.email);
    if (checked.ok) email = checked.email;
    else problems.email = checked.reason;
  }
  const firstName = text(values.firstName, 'firstName', problems);
  const lastName = text(values.lastName, 'lastName', problems);
  const rawConsent = values.consent;
  const consent = rawConsent === true || (typeof rawConsent === 'string' && TRUE.has(rawConsent.trim().toLowerCase()));
  if (
    rawConsent !== undefined &&
    rawConsent !== null &&
    typeof rawConsent !== 'boolean' &&
    typeof rawConsent !== 'string'
  ) {
    problems.consent = 'must be true or false';
  }
  const keys = Object.keys(problems);
  if (keys.length > 0) throw invalid(keys.map((k) => `${k}: ${problems[k]}`).join('; '), problems);
  return { email, firstName, lastName, attributes, consent };
}
