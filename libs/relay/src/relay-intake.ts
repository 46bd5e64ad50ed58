import type { RelayKey } from '@herald/auth';
import { Clock, WakeUps, WriteBehind } from '@herald/common';
import { domainOf } from '@herald/contacts';
import { SendersService } from '@herald/delivery';
import { Injectable } from '@nestjs/common';
import { prepareIncoming, RefusedMessage } from './incoming.js';
import { type AcceptedMessage, RELAY_DUE, RelayStore, type StoredMessage } from './relay-store.js';
import { trackingFor } from './tracked-mime.js';

/** Messages stored in one statement at most (each up to HERALD_RELAY_MAX_BYTES). */
const ACCEPT_BATCH = 8;

/**
 * Where the SMTP server hands a finished transaction: the checks that keep
 * the relay closed (the envelope sender and the From field in a domain of a
 * configured sender), then the message stored and the workers woken.
 */
@Injectable()
export class RelayIntake {
  /**
   * Messages whose clients wait for their 250, stored many to a statement
   * while one is on its way: one commit for the messages of several clients.
   */
  private readonly stored = new WriteBehind<AcceptedMessage, StoredMessage>(async (messages) => {
    const stored = await this.store.acceptMany(messages);
    this.wakeUps.notify(RELAY_DUE);
    return stored;
  }, ACCEPT_BATCH);

  constructor(
    private readonly clock: Clock,
    private readonly senders: SendersService,
    private readonly store: RelayStore,
    private readonly wakeUps: WakeUps,
  ) {}

  /** Refuses an envelope sender outside every configured sender's domain. */
  async checkEnvelopeSender(address: string): Promise<void> {
    if (address === '' || (await this.senders.forDomain(domainOf(address))).length === 0) {
      throw new RefusedMessage(
        550,
        '5.7.1',
        `Sender address <${address}> is not in a domain Herald sends for; add a sender for it first`,
      );
    }
  }

  /** Stores the message (before the client is told 250) and wakes the workers that deliver it; returns its id. */
  async acceptSmtp(key: RelayKey, envelopeFrom: string, recipients: string[], data: Buffer): Promise<string> {
    const message = prepareIncoming(data, new Date(this.clock.now()));
    const [sender] = await this.senders.forDomain(message.fromDomain, message.from);
    if (sender === undefined) {
      throw new RefusedMessage(550, '5.7.1', `From address <${message.from}> is not in a domain Herald sends for`);
    }
    const { id } = await this.stored.write({
      source: 'smtp',
      apiKeyId: key.keyId,
      userId: key.userId,
      senderId: sender.id,
      envelopeFrom,
      recipients,
      message,
      // Tracked as the key says: an SMTP client has no way to ask per message.
      tracking: await trackingFor(message.raw, key),
    });
    return id;
  }
}
