import { EngagementConditions, type EngagementSource } from '@herald/segments';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { receivedSql } from './engagement.sql.js';

/**
 * Gives segments the SQL of "received a campaign" over `messages`, which
 * this lib owns: segments sit below delivery and own the interface, so
 * they never read this lib's tables themselves.
 */
@Injectable()
export class EngagementRegistrar implements EngagementSource, OnModuleInit {
  constructor(private readonly conditions: EngagementConditions) {}

  onModuleInit(): void {
    this.conditions.register(this);
  }

  received: EngagementSource['received'] = receivedSql;
}
