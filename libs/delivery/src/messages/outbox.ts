import type { Sql } from '@herald/common';
import { Injectable } from '@nestjs/common';

export type MessageStatus = 'queued' | 'sending' | 'sent' | 'deferred' | 'failed' | 'bounced' | 'uncertain' | 'skipped';
export interface ClaimedMessage {
  id: string;
  contactId: string | null;
  email: string;
  attempts: number;
  createdAt: Date;
  isTest: boolean;
}

const pending = (): never => {
  throw new Error('delivery lib not merged yet');
};

@Injectable()
export class Outbox {
  snapshot(_tx: Sql, _campaignId: string, _recipients: { sql: string; params: unknown[] }): Promise<number> {
    return pending();
  }
  addTests(_tx: Sql, _campaignId: string, _emails: string[]): Promise<string[]> {
    return pending();
  }
  claim(_campaignId: string, _limit: number): Promise<ClaimedMessage[]> {
    return pending();
  }
  markSent(_id: string, _senderId: string, _reply: string): Promise<boolean> {
    return pending();
  }
  markDeferred(_id: string, _senderId: string | null, _reply: string, _nextAttemptAt: Date): Promise<boolean> {
    return pending();
  }
  markFailed(_id: string, _reply: string): Promise<boolean> {
    return pending();
  }
  markBounced(_id: string, _senderId: string, _reply: string): Promise<boolean> {
    return pending();
  }
  markUncertain(_id: string, _senderId: string, _reply: string): Promise<boolean> {
    return pending();
  }
  markSkipped(_ids: string[], _reason: string): Promise<number> {
    return pending();
  }
  release(_ids: string[]): Promise<number> {
    return pending();
  }
  reclaimStale(_campaignId: string, _olderThanMs: number): Promise<number> {
    return pending();
  }
  counts(_campaignId: string): Promise<Record<MessageStatus, number> & { reclaimed: number }> {
    return pending();
  }
  nextAttemptAt(_campaignId: string): Promise<Date | null> {
    return pending();
  }
}
