import { Injectable } from '@nestjs/common';
import type { SendingSender } from '../senders/sender.js';

export type SendOutcome =
  | { kind: 'sent'; reply: string }
  | { kind: 'deferred'; reply: string; slowDown: boolean }
  | { kind: 'bounced'; reply: string }
  | { kind: 'uncertain'; reply: string }
  | { kind: 'sender_failed'; reply: string; reason: string };

@Injectable()
export class SenderPool {
  send(_sender: SendingSender, _envelope: { from: string; to: string }, _raw: Buffer): Promise<SendOutcome> {
    throw new Error('delivery lib not merged yet');
  }
  async close(_senderId?: string): Promise<void> {}
}
