import type { Sql } from '@herald/common';
import { Injectable } from '@nestjs/common';
import type { SendingSender } from './sender.js';

const pending = (): never => {
  throw new Error('delivery lib not merged yet');
};

@Injectable()
export class SendersService {
  forSending(_ids: string[]): Promise<SendingSender[]> {
    return pending();
  }
  requireExist(_tx: Sql, _ids: string[], _field = 'senderIds'): Promise<void> {
    return pending();
  }
  disable(_id: string, _reason: string): Promise<void> {
    return pending();
  }
  sandboxSenderId(): Promise<string> {
    return pending();
  }
}
