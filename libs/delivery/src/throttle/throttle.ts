import { Injectable } from '@nestjs/common';
import type { SendingSender } from '../senders/sender.js';

export type Reservation =
  { kind: 'granted'; count: number; startAt: number; spacingMs: number } | { kind: 'quota_exhausted'; resumesAt: Date };

const pending = (): never => {
  throw new Error('delivery lib not merged yet');
};

@Injectable()
export class Throttle {
  reserve(_sender: SendingSender, _wanted: number): Promise<Reservation> {
    return pending();
  }
  refund(_sender: SendingSender, _count: number): Promise<void> {
    return pending();
  }
  slowDown(_senderId: string, _factor: number, _forMs: number): Promise<void> {
    return pending();
  }
  remainingToday(_sender: SendingSender): Promise<number | null> {
    return pending();
  }
}
