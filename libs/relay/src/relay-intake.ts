import type { RelayKey } from '@herald/auth';
import { Clock, WakeUps } from '@herald/common';
import { domainOf } from '@herald/contacts';
import { SendersService } from '@herald/delivery';
import { Injectable } from '@nestjs/common';
import { prepareIncoming, RefusedMessage } from './incoming.js';
import { RELAY_DUE, RelayStore } from './relay-store.js';
import { trackingFor } from './tracked-mime.js';

/**
 * Where the SMTP server hands a finished transaction: the checks that keep
 * the relay closed (the envelope sender and the From field in a domain of a
 * configured sender), then the message stored and its delivery jobs added.
 */
@Injectable()
export class RelayIntake {
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
    const { id } = await this.store.accept({
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
    this.wakeUps.notify(RELAY_DUE);
    return id;
  }
}
