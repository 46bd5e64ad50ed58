import {
  type ContactFilter,
  conflict,
  decodeCursor,
  DomainError,
  HERALD_CONFIG,
  type HeraldConfig,
  invalid,
  notFound,
  type Page,
  parseId,
  type SegmentResolver,
  toPage,
  unprocessable,
} from '@herald/common';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { compileRules } from './compiler.js';
import {
  ATTRIBUTE_TYPES,
  type AttributeType,
  type GroupNode,
  listReferences,
  parseRules,
  type RuleCatalogue,
} from './rules.js';
import { segmentsSql } from './segments.sql.js';

export const SAMPLE_SIZE = 10;

export interface SegmentView {
  id: string;
  name: string;
  description: string | null;
  rules: unknown;
  createdAt: string;
  updatedAt: string;
}

export interface SegmentDetail extends SegmentView {
  /** Contacts matching now; null when the count failed (see `countError`). */
  count: number | null;
  countError: string | null;
}

export interface SampleContact {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  status: string;
}

export interface SegmentInput {
  name?: string;
  description?: string | null;
  rules?: unknown;
}

/** A campaign audience: a segment, lists, or a segment intersected with lists. */
export interface Audience {
  segmentId?: string;
  listIds?: string[];
}

interface SegmentRow {
  id: string;
  name: string;
  description: string | null;
  rules: unknown;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id::text AS id, name, description, rules, created_at, updated_at';

const toView = (r: SegmentRow): SegmentView => ({
  id: r.id,
  name: r.name,
  description: r.description,
  rules: r.rules,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const QUERY_CANCELED = '57014';

/**
 * Saved segments, live counts and previews, and the contact filter other
 * libs use for a segment (CSV export, campaign audiences).
 */
@Injectable()
export class SegmentsService implements SegmentResolver {
  constructor(
    private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  /** Validates rules against the declared fields and existing lists; `root` prefixes error paths. */
  async validate(rules: unknown, root = 'rules'): Promise<GroupNode> {
    const tree = parseRules(rules, await this.catalogue(), root);
    const refs = listReferences(tree);
    if (refs.length > 0) {
      const rows = await this.db.query<{ id: string }[]>(segmentsSql.existingLists, [
        [...new Set(refs.map((r) => r.id))],
      ]);
      const existing = new Set(rows.map((r) => r.id));
      const fields: Record<string, string> = {};
      for (const ref of refs) if (!existing.has(ref.id)) fields[ref.path] ??= `list ${ref.id} does not exist`;
      if (Object.keys(fields).length > 0) throw invalid(`The segment rules refer to lists that do not exist`, fields);
    }
    return tree;
  }

  /**
   * Rules are saved only if they compile too: a rule the compiler cannot use
   * yet (engagement) would otherwise be stored and fail wherever it is used.
   */
  private async validateForSaving(rules: unknown): Promise<void> {
    compileRules(await this.validate(rules));
  }

  async preview(rules: unknown): Promise<{ count: number; sample: SampleContact[] }> {
    const filter = compileRules(await this.validate(rules));
    return this.readOnly(async (m) => ({
      count: await this.countWith(m, filter),
      sample: await this.sampleWith(m, filter),
    }));
  }

  async list(limit: number, cursor?: string): Promise<Page<SegmentView>> {
    const after = decodeCursor(cursor);
    const rows = await this.db.query<SegmentRow[]>(
      `SELECT ${COLUMNS} FROM segments WHERE ($1::bigint IS NULL OR id > $1::bigint) ORDER BY segments.id LIMIT $2`,
      [after ?? null, limit + 1],
    );
    return toPage(rows, limit, toView);
  }

  /** A segment with its live count; a count that fails or times out is reported, not thrown. */
  async get(id: string): Promise<SegmentDetail> {
    const segment = toView(await this.row(id));
    try {
      const filter = await this.savedFilter(segment, 1);
      const count = await this.readOnly((m) => this.countWith(m, filter));
      return { ...segment, count, countError: null };
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return { ...segment, count: null, countError: error.message };
    }
  }

  async create(input: SegmentInput): Promise<SegmentView> {
    if (input.name === undefined) throw invalid('name is required', { name: 'is required' });
    if (input.rules === undefined) throw invalid('rules are required', { rules: 'are required' });
    await this.validateForSaving(input.rules);
    const rows = await this.db.query<SegmentRow[]>(
      `INSERT INTO segments (name, description, rules) VALUES ($1, $2, $3::jsonb) RETURNING ${COLUMNS}`,
      [input.name, input.description ?? null, JSON.stringify(input.rules)],
    );
    return toView(rows[0]);
  }

  async update(id: string, input: SegmentInput): Promise<SegmentView> {
    parseId(id);
    if (input.rules !== undefined) await this.validateForSaving(input.rules);
    // Wrapped in a CTE: TypeORM returns [rows, count] for a bare UPDATE ... RETURNING.
    const rows = await this.db.query<SegmentRow[]>(
      `WITH updated AS (
         UPDATE segments SET
           name = coalesce($2, name),
           description = CASE WHEN $3::boolean THEN $4 ELSE description END,
           rules = coalesce($5::jsonb, rules),
           updated_at = now()
         WHERE id = $1 RETURNING *
       ) SELECT ${COLUMNS} FROM updated`,
      [
        id,
        input.name ?? null,
        input.description !== undefined,
        input.description ?? null,
        input.rules === undefined ? null : JSON.stringify(input.rules),
      ],
    );
    if (rows.length === 0) throw notFound('Segment', id);
    return toView(rows[0]);
  }

  async remove(id: string): Promise<void> {
    const rows = await this.db.query<{ id: string }[]>(
      `WITH deleted AS (DELETE FROM segments WHERE id = $1 RETURNING id) SELECT id FROM deleted`,
      [parseId(id)],
    );
    if (rows.length === 0) throw notFound('Segment', id);
  }

  /** SEGMENT_RESOLVER: the saved segment as a WHERE expression numbered from `firstParam`. */
  async contactFilter(segmentId: string, firstParam: number): Promise<ContactFilter> {
    return this.savedFilter(toView(await this.row(segmentId, 'segmentId')), firstParam);
  }

  /**
   * The filter of a campaign audience: a segment alone, contacts in any of
   * the lists, or both intersected. Suppression is the caller's concern.
   */
  async audienceFilter(audience: Audience, firstParam = 1): Promise<ContactFilter> {
    const listIds = audience.listIds ?? [];
    if (audience.segmentId === undefined && listIds.length === 0)
      throw invalid('An audience needs a segment or at least one list', { audience: 'choose a segment or lists' });
    const lists = listIds.length > 0 ? await this.listsTree(listIds) : undefined;
    const parts: GroupNode[] = [];
    if (audience.segmentId !== undefined) {
      const segment = toView(await this.row(audience.segmentId, 'segmentId'));
      parts.push(await this.savedTree(segment));
    }
    if (lists) parts.push(lists);
    return compileRules({ node: 'group', mode: 'all', children: parts, path: 'audience' }, firstParam);
  }

  private async savedTree(segment: SegmentView): Promise<GroupNode> {
    try {
      return await this.validate(segment.rules);
    } catch (error) {
      // The rules were valid when saved: a field or list has since been deleted.
      if (error instanceof DomainError && error.kind === 'invalid') {
        throw conflict(
          `Segment ${segment.id} refers to a field or list that no longer exists; edit its rules. ${error.message}`,
          error.fields,
        );
      }
      throw error;
    }
  }

  /** Audience lists go through the same validation and compiler as a `lists inAny` rule. */
  private async listsTree(listIds: string[]): Promise<GroupNode> {
    try {
      return await this.validate({ all: [{ field: 'lists', op: 'inAny', value: listIds }] }, 'audience');
    } catch (error) {
      if (!(error instanceof DomainError) || error.kind !== 'invalid') throw error;
      const reason = Object.values(error.fields ?? {})[0] ?? error.message;
      throw invalid(`listIds: ${reason}`, { listIds: reason });
    }
  }

  private async savedFilter(segment: SegmentView, firstParam: number): Promise<ContactFilter> {
    return compileRules(await this.savedTree(segment), firstParam);
  }

  private async row(id: string, field = 'id'): Promise<SegmentRow> {
    const rows = await this.db.query<SegmentRow[]>(`SELECT ${COLUMNS} FROM segments WHERE id = $1`, [
      parseId(id, field),
    ]);
    if (rows.length === 0) throw notFound('Segment', id);
    return rows[0];
  }

  private async catalogue(): Promise<RuleCatalogue> {
    const rows = await this.db.query<{ name: string; type: string }[]>(segmentsSql.fields);
    const fields = new Map<string, AttributeType>();
    for (const r of rows)
      if ((ATTRIBUTE_TYPES as string[]).includes(r.type)) fields.set(r.name, r.type as AttributeType);
    return { fields };
  }

  private async readOnly<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction(async (m) => {
        await m.query(segmentsSql.readOnly);
        await m.query(segmentsSql.timeout, [String(this.config.HERALD_SEGMENT_TIMEOUT_MS)]);
        return work(m);
      });
    } catch (error) {
      const code = (error as { code?: unknown; driverError?: { code?: unknown } }).driverError?.code;
      if (code === QUERY_CANCELED || (error as { code?: unknown }).code === QUERY_CANCELED) {
        throw unprocessable(
          `Counting this segment took longer than ${this.config.HERALD_SEGMENT_TIMEOUT_MS} ms and was stopped; narrow the rules`,
        );
      }
      throw error;
    }
  }

  private async countWith(m: EntityManager, filter: ContactFilter): Promise<number> {
    const rows = await m.query<{ count: string }[]>(segmentsSql.count(filter.sql), filter.params);
    return Number(rows[0].count);
  }

  private async sampleWith(m: EntityManager, filter: ContactFilter): Promise<SampleContact[]> {
    const rows = await m.query<
      { id: string; email: string; first_name: string | null; last_name: string | null; status: string }[]
    >(segmentsSql.sample(filter.sql, SAMPLE_SIZE), filter.params);
    return rows.map((r) => ({
      id: r.id,
      email: r.email,
      firstName: r.first_name,
      lastName: r.last_name,
      status: r.status,
    }));
  }
}
