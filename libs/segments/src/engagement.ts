import { Injectable } from '@nestjs/common';

/** What an engagement condition asks about: one campaign or any, all time or the last days. */
export interface EngagementTest {
  campaignId?: string;
  withinDays?: number;
}

/** Binds a value and returns its typed placeholder (`$3::bigint`); the compiler numbers them. */
export type BindParam = (value: unknown, cast: string) => string;

/**
 * The SQL of engagement conditions. Whether a contact received a campaign
 * is recorded in tables the delivery lib owns, which sits above this one:
 * delivery implements this interface and registers it in
 * `EngagementConditions` when its module starts, so segments never read
 * those tables (docs/ARCHITECTURE.md, "Libs and their order").
 */
export interface EngagementSource {
  /**
   * A boolean expression, never NULL: the contact whose id is
   * `contactIdSql` received a message (any campaign's, or `campaignId`'s;
   * ever, or within the last `withinDays` days). Every value goes through
   * `bind`.
   */
  received(contactIdSql: string, test: EngagementTest, bind: BindParam): string;
}

/** Where the delivery lib registers its engagement SQL; empty in a process that does not load delivery. */
@Injectable()
export class EngagementConditions {
  private source: EngagementSource | undefined;

  register(source: EngagementSource): void {
    this.source = source;
  }

  /** The registered source, or undefined when delivery is not loaded. */
  get current(): EngagementSource | undefined {
    return this.source;
  }
}
