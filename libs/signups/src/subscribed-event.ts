import type { OutgoingEvent } from '@herald/common';

/** A submission that put its contact on the list, as webhooks publish it. */
export function subscribedEvent(
  signup: { id: string; email: string; listId: string },
  contactId: string,
  confirmed: boolean,
  at: Date,
): OutgoingEvent {
  return {
    type: 'subscribed',
    occurredAt: at,
    data: {
      signupId: signup.id,
      listId: signup.listId,
      contactId,
      email: signup.email,
      doubleOptIn: confirmed,
    },
  };
}
