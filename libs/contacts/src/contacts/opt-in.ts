import type { Sql } from '@herald/common';
import { Injectable } from '@nestjs/common';
import type { AttributeChanges } from '../fields/fields.service.js';
import { ListsService } from '../lists/lists.service.js';
import type { SuppressionReason } from '../status.js';
import { emailHashSql } from '../suppressions/email-hash.js';
import { SuppressionsService } from '../suppressions/suppressions.service.js';

/** A person asking to join a list (a sign-up form), as its owner proved it. */
export interface OptIn {
  /** Normalised (`requireEmail`). */
  email: string;
  firstName: string | null;
  lastName: string | null;
  /** Checked against the fields (`FieldsService.check`); only `set` is used. */
  attributes: AttributeChanges['set'];
  listId: string;
  consentSource: string;
  consentAt: Date;
  /**
   * Whether the request may change what an existing contact holds (names,
   * attributes). Only an opt-in its mailbox confirmed may: a single opt-in
   * form can be filled in by anyone, so it only fills gaps.
   */
  overwrite: boolean;
  /** Suppressions this opt-in lifts: the person asked again and proved the mailbox (a confirmed link). */
  lift: readonly SuppressionReason[];
}

export type OptInResult =
  | { subscribed: true; contactId: string; lifted: SuppressionReason | null }
  /** The address stays suppressed; nothing was changed. */
  | { subscribed: false; suppressedAs: SuppressionReason };

/**
 * The one write a sign-up makes to contacts, inside the caller's
 * transaction: create or update the contact by address, subscribed, with its
 * consent, and add it to the list. Suppression still wins unless the caller
 * lifts the reason on purpose.
 */
@Injectable()
export class OptIns {
  constructor(
    private readonly suppressions: SuppressionsService,
    private readonly lists: ListsService,
  ) {}

  async subscribe(m: Sql, input: OptIn): Promise<OptInResult> {
    const reason = await this.suppressions.reasonFor(m, input.email);
    if (reason !== undefined && !input.lift.includes(reason)) return { subscribed: false, suppressedAs: reason };
    if (reason !== undefined) {
      await m.execute(`DELETE FROM suppressions WHERE email_hash = ${emailHashSql('$1::text')}`, [input.email]);
    }
    const merge = input.overwrite
      ? `first_name = COALESCE(EXCLUDED.first_name, contacts.first_name),
         last_name = COALESCE(EXCLUDED.last_name, contacts.last_name),
         attributes = contacts.attributes || EXCLUDED.attributes`
      : `first_name = COALESCE(contacts.first_name, EXCLUDED.first_name),
         last_name = COALESCE(contacts.last_name, EXCLUDED.last_name),
         attributes = EXCLUDED.attributes || contacts.attributes`;
    const { id } = await m.one<{ id: string }>(
      `INSERT INTO contacts (email, first_name, last_name, status, attributes, consent_source, consent_at)
       VALUES ($1, $2, $3, 'subscribed', $4::jsonb, $5, $6)
       ON CONFLICT ((lower(email))) DO UPDATE SET ${merge},
         status = 'subscribed', consent_source = EXCLUDED.consent_source, consent_at = EXCLUDED.consent_at,
         updated_at = now()
       RETURNING id`,
      [
        input.email,
        input.firstName,
        input.lastName,
        JSON.stringify(input.attributes),
        input.consentSource,
        input.consentAt,
      ],
    );
    await this.lists.addMembers(m, [input.listId], id);
    return { subscribed: true, contactId: id, lifted: reason ?? null };
  }
}
