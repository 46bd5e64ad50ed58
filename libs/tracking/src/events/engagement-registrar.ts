import { EngagementConditions, type EngagementSource } from '@herald/segments';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { engagedSql } from './engagement.sql.js';

/**
 * Gives segments the SQL of "opened" and "clicked" over
 * `message_engagement`, which this lib owns: segments sit below tracking
 * and own the interface, so they never read this lib's tables themselves.
 */
@Injectable()
export class TrackingEngagementRegistrar implements EngagementSource, OnModuleInit {
  constructor(private readonly conditions: EngagementConditions) {}

  onModuleInit(): void {
    this.conditions.register(this);
  }

  opened: EngagementSource['opened'] = engagedSql('first_human_open_at');
  clicked: EngagementSource['clicked'] = engagedSql('first_human_click_at');
}
