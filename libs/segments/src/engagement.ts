import { Injectable } from '@nestjs/common';

/** What an engagement condition asks about: one campaign or any, all time or the last days. */
export interface EngagementTest {
  campaignId?: string;
  withinDays?: number;
}

/** Binds a value and returns its typed placeholder (`$3::bigint`); the compiler numbers them. */
export type BindParam = (value: unknown, cast: string) => string;

/** Writes one engagement condition: a boolean expression, never NULL, over the contact whose id is `contactIdSql`. */
export type EngagementSql = (contactIdSql: string, test: EngagementTest, bind: BindParam) => string;

/**
 * The SQL of engagement conditions. What contacts received and did is
 * recorded in tables of libs above this one: delivery (`messages`) writes
 * `received`, tracking (`message_engagement`) writes `opened` and
 * `clicked`. Each registers its part in `EngagementConditions` when its
 * module starts, so segments never read those tables
 * (docs/ARCHITECTURE.md, "Libs and their order").
 */
export interface EngagementSource {
  /**
   * The contact received a message (any campaign's, or `campaignId`'s;
   * ever, or within the last `withinDays` days). Every value goes through
   * `bind`.
   */
  received?: EngagementSql;
  /** The contact opened a message (as `received`, by when it was first opened). */
  opened?: EngagementSql;
  /** The contact clicked a link of a message (as `received`, by when it was first clicked). */
  clicked?: EngagementSql;
}

const PARTS = ['received', 'opened', 'clicked'] as const;

/** Where delivery and tracking register their engagement SQL; a part stays empty in a process without its lib. */
@Injectable()
export class EngagementConditions {
  private readonly parts: EngagementSource = {};
  private registered = false;

  /** Adds the parts `source` writes; parts registered before by another lib stay. */
  register(source: EngagementSource): void {
    for (const part of PARTS) {
      const sql = source[part];
      if (sql !== undefined) this.parts[part] = sql.bind(source);
    }
    this.registered = true;
  }

  /** The registered parts, or undefined when no lib registered any. */
  get current(): EngagementSource | undefined {
    return this.registered ? this.parts : undefined;
  }
}
