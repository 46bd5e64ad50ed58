import {
  conflict,
  Db,
  decodeCursor,
  DomainError,
  HERALD_CONFIG,
  type HeraldConfig,
  invalid,
  notFound,
  type Page,
  parseId,
  type Sql,
  toPage,
  unprocessable,
} from '@herald/common';
import {
  type ContactFilter,
  type ContactSample,
  ContactsService,
  FieldsService,
  ListsService,
  SegmentFilters,
  type SegmentFilterSource,
} from '@herald/contacts';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { compileRules } from './compiler.js';
import { EngagementConditions } from './engagement.js';
import { type GroupNode, listReferences, parseRules, type RuleCatalogue } from './rules.js';
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

export interface SegmentInput {
  name?: string;
  description?: string | null;
  rules?: unknown;
}

/**
 * A campaign audience: a segment, lists, or a segment intersected with lists
 * (`audienceFilter`), minus the contacts of an optional exclusion segment.
 */
export interface Audience {
  segmentId?: string;
  listIds?: string[];
  excludeSegmentId?: string;
}

interface SegmentRow {
  id: string;
  name: string;
  description: string | null;
  rules: unknown;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, name, description, rules, created_at, updated_at';

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
 * libs use for a segment (CSV export, campaign audiences). Contacts, fields
 * and lists are read through the contacts lib.
 */
@Injectable()
export class SegmentsService implements SegmentFilterSource, OnModuleInit {
  constructor(
    private readonly db: Db,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly contacts: ContactsService,
    private readonly fields: FieldsService,
    private readonly lists: ListsService,
    private readonly segmentFilters: SegmentFilters,
    private readonly engagement: EngagementConditions,
  ) {}

  /** Lets the contacts lib's CSV export filter by segment without importing this lib. */
  onModuleInit(): void {
    this.segmentFilters.register(this);
  }

  /** Validates rules against the declared fields and existing lists; `root` prefixes error paths. */
  async validate(rules: unknown, root = 'rules'): Promise<GroupNode> {
    const tree = parseRules(rules, await this.catalogue(), root);
    const refs = listReferences(tree);
    if (refs.length > 0) {
      const missing = new Set(await this.lists.missing(this.db, [...new Set(refs.map((r) => r.id))]));
      const fields: Record<string, string> = {};
      for (const ref of refs) if (missing.has(ref.id)) fields[ref.path] ??= `list ${ref.id} does not exist`;
      if (Object.keys(fields).length > 0) throw invalid(`The segment rules refer to lists that do not exist`, fields);
    }
    return tree;
  }

  /**
   * Rules are saved only if they compile too: a rule the compiler cannot use
   * yet (engagement) would otherwise be stored and fail wherever it is used.
   */
  private async validateForSaving(rules: unknown): Promise<void> {
    this.compile(await this.validate(rules));
  }

  async preview(rules: unknown): Promise<{ count: number; sample: ContactSample[] }> {
    const filter = this.compile(await this.validate(rules));
    return this.readOnly(async (tx) => ({
      count: await this.contacts.count(tx, filter),
      sample: await this.contacts.sample(tx, filter, SAMPLE_SIZE),
    }));
  }

  async list(limit: number, cursor?: string): Promise<Page<SegmentView>> {
    const after = decodeCursor(cursor);
    const rows = await this.db.rows<SegmentRow>(
      `SELECT ${COLUMNS} FROM segments WHERE ($1::bigint IS NULL OR id > $1::bigint) ORDER BY id LIMIT $2`,
      [after ?? null, limit + 1],
    );
    return toPage(rows, limit, toView);
  }

  /** A segment with its live count; a count that fails or times out is reported, not thrown. */
  async get(id: string): Promise<SegmentDetail> {
    const segment = toView(await this.row(id));
    try {
      const filter = await this.savedFilter(segment, 1);
      const count = await this.readOnly((tx) => this.contacts.count(tx, filter));
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
    const row = await this.db.one<SegmentRow>(
      `INSERT INTO segments (name, description, rules) VALUES ($1, $2, $3::jsonb) RETURNING ${COLUMNS}`,
      [input.name, input.description ?? null, JSON.stringify(input.rules)],
    );
    return toView(row);
  }

  async update(id: string, input: SegmentInput): Promise<SegmentView> {
    parseId(id);
    if (input.rules !== undefined) await this.validateForSaving(input.rules);
    const row = await this.db.maybeOne<SegmentRow>(
      `UPDATE segments SET
         name = coalesce($2, name),
         description = CASE WHEN $3::boolean THEN $4 ELSE description END,
         rules = coalesce($5::jsonb, rules),
         updated_at = now()
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [
        id,
        input.name ?? null,
        input.description !== undefined,
        input.description ?? null,
        input.rules === undefined ? null : JSON.stringify(input.rules),
      ],
    );
    if (row === undefined) throw notFound('Segment', id);
    return toView(row);
  }

  async remove(id: string): Promise<void> {
    const deleted = await this.db.execute(`DELETE FROM segments WHERE id = $1`, [parseId(id)]);
    if (deleted === 0) throw notFound('Segment', id);
  }

  /** The saved segment as a `ContactFilter`, its placeholders numbered from `firstParam`. */
  async contactFilter(segmentId: string, firstParam: number): Promise<ContactFilter> {
    return this.savedFilter(toView(await this.row(segmentId, 'segmentId')), firstParam);
  }

  /**
   * The filter of a campaign audience: a segment alone, contacts in any of
   * the lists, or both intersected; an exclusion segment is subtracted as a
   * `none` group. Suppression is the caller's concern.
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
    if (audience.excludeSegmentId !== undefined) {
      const excluded = toView(await this.row(audience.excludeSegmentId, 'excludeSegmentId'));
      parts.push({ node: 'group', mode: 'none', children: [await this.savedTree(excluded)], path: 'audience.exclude' });
    }
    return this.compile({ node: 'group', mode: 'all', children: parts, path: 'audience' }, firstParam);
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
    return this.compile(await this.savedTree(segment), firstParam);
  }

  /** Compiles with the engagement SQL of the delivery lib, when this process runs it. */
  private compile(tree: GroupNode, firstParam = 1): ContactFilter {
    return compileRules(tree, firstParam, this.engagement.current);
  }

  private async row(id: string, field = 'id'): Promise<SegmentRow> {
    const row = await this.db.maybeOne<SegmentRow>(`SELECT ${COLUMNS} FROM segments WHERE id = $1`, [
      parseId(id, field),
    ]);
    if (row === undefined) throw notFound('Segment', id);
    return row;
  }

  private async catalogue(): Promise<RuleCatalogue> {
    return { fields: await this.fields.definitions() };
  }

  private async readOnly<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction(async (tx) => {
        await tx.execute(segmentsSql.readOnly);
        await tx.execute(segmentsSql.timeout, [String(this.config.HERALD_SEGMENT_TIMEOUT_MS)]);
        return work(tx);
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
}
