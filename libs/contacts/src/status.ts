/** A contact's subscription state; anything but `subscribed` is never mailed. */
export const CONTACT_STATUSES = ['subscribed', 'unsubscribed', 'bounced', 'complained'] as const;
export type ContactStatus = (typeof CONTACT_STATUSES)[number];

/** Why an address is suppressed; `manual` is an operator's decision. */
export const SUPPRESSION_REASONS = ['unsubscribed', 'bounced', 'complained', 'manual'] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

/** The status a contact takes when its address is suppressed for `reason`. */
export function statusForReason(reason: SuppressionReason): Exclude<ContactStatus, 'subscribed'> {
  return reason === 'manual' ? 'unsubscribed' : reason;
}

/** `statusForReason` over a SQL expression holding a reason. */
export function statusForReasonSql(expr: string): string {
  return `(CASE ${expr} WHEN 'manual' THEN 'unsubscribed' ELSE ${expr} END)`;
}
