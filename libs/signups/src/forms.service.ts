import { Db, HERALD_CONFIG, type HeraldConfig, invalid, parseId } from '@herald/common';
import { ListsService } from '@herald/contacts';
import { SendersService } from '@herald/delivery';
import { escapeHtml } from '@herald/tracking';
import { Inject, Injectable } from '@nestjs/common';
import type { FormSettingsDto, FormSettingsView } from './forms.dto.js';
import * as q from './signups.sql.js';

/** The honeypot: people never see or fill it (off-screen, out of the tab order); form-filling bots do. */
export const HONEYPOT = 'company_website';

export interface FormRow {
  list_id: string;
  enabled: boolean;
  double_opt_in: boolean;
  sender_id: string | null;
  success_url: string | null;
  confirmed_url: string | null;
  consent_text: string;
  consent_version: string;
  updated_at: Date | null;
}

/** A list without saved settings has these: off, double opt-in, no sender. */
const DEFAULTS = (listId: string): FormRow => ({
  list_id: listId,
  enabled: false,
  double_opt_in: true,
  sender_id: null,
  success_url: null,
  confirmed_url: null,
  consent_text: '',
  consent_version: '1',
  updated_at: null,
});

/**
 * An absolute https URL without credentials, or a 400 naming `field`. These
 * are where recipients are redirected, so they come only from here, never
 * from a request.
 */
export function redirectUrl(raw: string | null | undefined, field: string): string | null {
  if (raw === undefined || raw === null || raw.trim() === '') return null;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw invalid(`${field} must be an absolute https URL`, { [field]: 'must be an absolute https URL' });
  }
  if (url.protocol !== 'https:') throw invalid(`${field} must be an https URL`, { [field]: 'must be an https URL' });
  if (url.username !== '' || url.password !== '') {
    throw invalid(`${field} must not carry credentials`, { [field]: 'must not carry credentials' });
  }
  return url.href;
}

/** Per-list sign-up form settings and the form snippet that goes with them. */
@Injectable()
export class FormsService {
  constructor(
    private readonly db: Db,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly lists: ListsService,
    private readonly senders: SendersService,
  ) {}

  async get(rawListId: string): Promise<FormSettingsView> {
    const listId = parseId(rawListId);
    const list = await this.lists.get(listId);
    return this.toView(await this.find(listId), list.name);
  }

  async put(rawListId: string, input: FormSettingsDto): Promise<FormSettingsView> {
    const listId = parseId(rawListId);
    // An unknown list is a 404 whatever the body says.
    await this.lists.requireExists(this.db, listId);
    const successUrl = redirectUrl(input.successUrl, 'successUrl');
    const confirmedUrl = redirectUrl(input.confirmedUrl, 'confirmedUrl');
    const senderId = input.senderId ?? null;
    if (input.enabled && senderId === null) {
      throw invalid('senderId: a form sends confirmation mails, so enabling it needs a sender', {
        senderId: 'required to enable the form',
      });
    }
    const row = await this.db.transaction(async (tx) => {
      await this.lists.requireExists(tx, listId);
      if (senderId !== null) await this.senders.requireExist(tx, [senderId], 'senderId');
      return tx.one<FormRow>(q.PUT_FORM, [
        listId,
        input.enabled,
        input.doubleOptIn ?? true,
        senderId,
        successUrl,
        confirmedUrl,
        input.consentText ?? '',
        input.consentVersion?.trim() || '1',
      ]);
    });
    return this.toView(row, (await this.lists.get(listId)).name);
  }

  /** The saved settings, or the defaults of a list that has none. */
  async find(listId: string): Promise<FormRow> {
    return (await this.db.maybeOne<FormRow>(q.GET_FORM, [listId])) ?? DEFAULTS(listId);
  }

  actionUrl(listId: string): string {
    return new URL(`subscribe/${listId}`, this.config.PUBLIC_URL.replace(/\/?$/, '/')).href;
  }

  private toView(row: FormRow, listName: string): FormSettingsView {
    const actionUrl = this.actionUrl(row.list_id);
    return {
      listId: row.list_id,
      enabled: row.enabled,
      doubleOptIn: row.double_opt_in,
      senderId: row.sender_id,
      successUrl: row.success_url,
      confirmedUrl: row.confirmed_url,
      consentText: row.consent_text,
      consentVersion: row.consent_version,
      actionUrl,
      snippet: snippet(actionUrl, listName, row.consent_text),
      updatedAt: row.updated_at?.toISOString() ?? null,
    };
  }
}

/**
 * The embeddable form: plain HTML that works without any script, every
 * value escaped (a list's name is whatever a user typed), labels for every
 * input, and the honeypot hidden from people and screen readers.
 */
export function snippet(actionUrl: string, listName: string, consentText: string): string {
  const consent =
    consentText.trim() === ''
      ? ''
      : `\n    <p><label><input type="checkbox" name="consent" value="yes" required> ${escapeHtml(consentText)}</label></p>`;
  return `<form method="post" action="${escapeHtml(actionUrl)}" accept-charset="utf-8" class="herald-signup">
  <fieldset>
    <legend>${escapeHtml(listName)}</legend>
    <p><label>Email <input type="email" name="email" required autocomplete="email" maxlength="254"></label></p>
    <p><label>First name <input type="text" name="firstName" autocomplete="given-name" maxlength="200"></label></p>
    <p><label>Last name <input type="text" name="lastName" autocomplete="family-name" maxlength="200"></label></p>
    <div style="position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden" aria-hidden="true">
      <label>Leave this field empty <input type="text" name="${HONEYPOT}" tabindex="-1" autocomplete="off" value=""></label>
    </div>${consent}
    <p><button type="submit">Subscribe</button></p>
  </fieldset>
</form>`;
}
