import {
  decodeCursor,
  HERALD_CONFIG,
  type HeraldConfig,
  invalid,
  notFound,
  type Page,
  parseId,
  toPage,
} from '@herald/common';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { TemplateFormat, TemplateSource, TemplateWarning } from './compile-template.js';
import { type ContactData, renderParts, templateData } from './render.js';
import { STARTER_TEMPLATES } from './starters/index.js';
import { PLACEHOLDER_SENDER, MessageRenderer } from './message-renderer.js';
import type {
  CreateTemplateDto,
  PreviewTemplateDto,
  TemplateDto,
  TemplatePreviewDto,
  TemplateSummaryDto,
  UpdateTemplateDto,
} from './templates.dto.js';

/** Gmail cuts the HTML of a message above this size behind a "view entire message" link. */
export const GMAIL_CLIP_BYTES = 102 * 1024;
const MAX_SAMPLE_DATA_CHARS = 64 * 1024;
const MAX_SAMPLE_DATA_DEPTH = 5;
/**
 * As long as a contact's text attribute may be: a template can repeat a
 * value thousands of times, and every copy in the HTML is escaped anew.
 */
const MAX_SAMPLE_VALUE_CHARS = 2000;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

interface TemplateRow {
  id: string;
  name: string;
  subject: string;
  preheader: string;
  format: TemplateFormat;
  body: string;
  text_body: string | null;
  starter: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id::text, name, subject, preheader, format, body, text_body, starter, created_at, updated_at`;
const SUMMARY_COLUMNS = `id::text, name, subject, preheader, format, starter, created_at, updated_at`;

const toSummary = (r: Omit<TemplateRow, 'body' | 'text_body'>): TemplateSummaryDto => ({
  id: r.id,
  name: r.name,
  subject: r.subject,
  preheader: r.preheader,
  format: r.format,
  starter: r.starter,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const toView = (r: TemplateRow): TemplateDto => ({ ...toSummary(r), body: r.body, textBody: r.text_body });

const toSource = (r: Pick<TemplateRow, 'subject' | 'preheader' | 'format' | 'body' | 'text_body'>): TemplateSource => ({
  subject: r.subject,
  preheader: r.preheader,
  format: r.format,
  body: r.body,
  textBody: r.text_body,
});

/**
 * Templates as marketers write them. Every write compiles the result first,
 * so a stored template always compiles; the compiled form is not stored
 * (campaigns compile when they start).
 */
@Injectable()
export class TemplatesService implements OnApplicationBootstrap {
  private readonly logger = new Logger(TemplatesService.name);

  constructor(
    private readonly db: DataSource,
    private readonly renderer: MessageRenderer,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.seedStarters();
  }

  /**
   * Seeds the starter designs once per install. The `settings` row is the
   * guard: of several processes starting together only the one whose insert
   * lands seeds, in the same transaction, and a starter a marketer deleted
   * does not come back on the next start.
   */
  async seedStarters(): Promise<boolean> {
    return this.db.transaction(async (m) => {
      const claimed = await m.query<unknown[]>(
        `INSERT INTO settings (key, value) VALUES ('templates_seeded', now()::text)
         ON CONFLICT (key) DO NOTHING RETURNING key`,
      );
      if (claimed.length === 0) return false;
      await m.query(
        `INSERT INTO templates (name, subject, preheader, format, body, starter)
         SELECT name, subject, preheader, 'mjml', body, starter
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
           AS s (name, subject, preheader, body, starter)`,
        [
          STARTER_TEMPLATES.map((s) => s.name),
          STARTER_TEMPLATES.map((s) => s.subject),
          STARTER_TEMPLATES.map((s) => s.preheader),
          STARTER_TEMPLATES.map((s) => s.body),
          STARTER_TEMPLATES.map((s) => s.key),
        ],
      );
      this.logger.log(`Seeded ${STARTER_TEMPLATES.length} starter templates`);
      return true;
    });
  }

  async list(limit: number, cursor?: string): Promise<Page<TemplateSummaryDto>> {
    const after = decodeCursor(cursor);
    const rows = await this.db.query<TemplateRow[]>(
      // Ordered by the bigint column, not the text id the select list exposes.
      `SELECT ${SUMMARY_COLUMNS} FROM templates t WHERE ($1::bigint IS NULL OR t.id > $1) ORDER BY t.id LIMIT $2`,
      [after ?? null, limit + 1],
    );
    return toPage(rows, limit, toSummary);
  }

  async get(id: string): Promise<TemplateDto> {
    return toView(await this.find(this.db.manager, id));
  }

  async create(dto: CreateTemplateDto): Promise<TemplateDto> {
    const row = {
      subject: dto.subject,
      preheader: dto.preheader ?? '',
      format: dto.format ?? 'mjml',
      body: dto.body,
      text_body: dto.textBody ?? null,
    };
    await this.renderer.compile(toSource(row));
    const rows = await this.db.query<TemplateRow[]>(
      `INSERT INTO templates (name, subject, preheader, format, body, text_body)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [dto.name, row.subject, row.preheader, row.format, row.body, row.text_body],
    );
    return toView(rows[0]);
  }

  async update(id: string, dto: UpdateTemplateDto): Promise<TemplateDto> {
    // Row lock: two concurrent edits must not each validate a different merge.
    return this.db.transaction(async (m) => {
      const current = await this.find(m, id, true);
      const next: TemplateRow = {
        ...current,
        name: dto.name ?? current.name,
        subject: dto.subject ?? current.subject,
        preheader: dto.preheader ?? current.preheader,
        format: dto.format ?? current.format,
        body: dto.body ?? current.body,
        text_body: dto.textBody === undefined ? current.text_body : dto.textBody,
      };
      await this.renderer.compile(toSource(next));
      // A CTE keeps this a SELECT, so the driver returns plain rows.
      const rows = await m.query<TemplateRow[]>(
        `WITH updated AS (
           UPDATE templates SET name = $2, subject = $3, preheader = $4, format = $5, body = $6, text_body = $7,
             updated_at = now()
           WHERE id = $1 RETURNING *
         ) SELECT ${COLUMNS} FROM updated`,
        [current.id, next.name, next.subject, next.preheader, next.format, next.body, next.text_body],
      );
      return toView(rows[0]);
    });
  }

  async remove(id: string): Promise<void> {
    const rows = await this.db.query<unknown[]>(
      `WITH deleted AS (DELETE FROM templates WHERE id = $1 RETURNING id) SELECT id FROM deleted`,
      [parseId(id)],
    );
    if (rows.length === 0) throw notFound('Template', id);
  }

  /**
   * Renders a template as a chosen contact (or sample data) would get it.
   * Nothing is tracked: links keep their real destinations, there is no open
   * pixel, and the unsubscribe and web-view links point at `/u/preview` and
   * `/w/preview`, which no token verifies.
   */
  async preview(id: string, dto: PreviewTemplateDto): Promise<TemplatePreviewDto> {
    const template = await this.find(this.db.manager, id);
    const contactId = dto.contactId === undefined ? undefined : parseId(dto.contactId, 'contactId');
    const sample = dto.data === undefined ? undefined : checkSampleData(dto.data);
    const contact = contactId ? await this.contact(contactId) : await this.sampleContact();
    if (sample) overlay(contact, sample);

    const compiled = await this.renderer.compile(toSource(template), { trackOpens: false, trackClicks: false });
    const base = this.config.PUBLIC_URL.replace(/\/+$/, '');
    const rendered = renderParts(
      compiled,
      templateData(contact, {
        unsubscribe_url: `${base}/u/preview`,
        webview_url: `${base}/w/preview`,
        sender: PLACEHOLDER_SENDER,
      }),
    );
    const sizeBytes = Buffer.byteLength(rendered.html);
    const warnings: TemplateWarning[] = [...compiled.warnings];
    if (sizeBytes > GMAIL_CLIP_BYTES)
      warnings.push({
        code: 'html_too_large',
        message: `the HTML is ${Math.ceil(sizeBytes / 1024)} KB; Gmail clips messages above 102 KB`,
      });
    return { ...rendered, sizeBytes, warnings, links: compiled.links };
  }

  private async find(m: EntityManager, id: string, lock = false): Promise<TemplateRow> {
    const rows = await m.query<TemplateRow[]>(
      `SELECT ${COLUMNS} FROM templates WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
      [parseId(id)],
    );
    if (rows.length === 0) throw notFound('Template', id);
    return rows[0];
  }

  private async contact(id: string): Promise<ContactData> {
    const rows = await this.db.query<ContactData[]>(
      `SELECT email, first_name, last_name, attributes FROM contacts WHERE id = $1`,
      [id],
    );
    if (rows.length === 0) throw notFound('Contact', id);
    return { ...rows[0], attributes: { ...(rows[0].attributes ?? {}) } };
  }

  /** A made-up contact with a plausible value for every custom field, so previews show them filled in. */
  private async sampleContact(): Promise<ContactData> {
    const fields = await this.db.query<{ name: string; type: string; label: string | null }[]>(
      `SELECT name, type, label FROM fields ORDER BY name`,
    );
    const attributes: Record<string, unknown> = {};
    for (const f of fields) attributes[f.name] = sampleValue(f.type, f.label ?? f.name);
    return { email: 'jane.doe@example.com', first_name: 'Jane', last_name: 'Doe', attributes };
  }
}

function sampleValue(type: string, label: string): unknown {
  switch (type) {
    case 'number':
      return 42;
    case 'boolean':
      return true;
    case 'date':
      return new Date().toISOString().slice(0, 10);
    default:
      return `Sample ${label}`;
  }
}

const CONTACT_COLUMNS = new Set(['email', 'first_name', 'last_name']);

/** Sample values replace the contact's columns and attributes by name. */
function overlay(contact: ContactData, sample: Record<string, unknown>): void {
  const attributes = { ...(contact.attributes ?? {}) };
  for (const [key, value] of Object.entries(sample)) {
    if (key === 'email') contact.email = typeof value === 'string' ? value : String(value);
    else if (CONTACT_COLUMNS.has(key)) (contact as unknown as Record<string, unknown>)[key] = value;
    else attributes[key] = value;
  }
  contact.attributes = attributes;
}

/** Preview data is caller input: a plain JSON object, bounded in size and depth, with no prototype keys. */
function checkSampleData(data: Record<string, unknown>): Record<string, unknown> {
  if (JSON.stringify(data).length > MAX_SAMPLE_DATA_CHARS)
    throw invalid(`data must be under ${MAX_SAMPLE_DATA_CHARS / 1024} KB of JSON`, { data: 'too large' });
  const walk = (value: unknown, path: string, depth: number): void => {
    if (typeof value === 'string' && value.length > MAX_SAMPLE_VALUE_CHARS)
      throw invalid(`${path} is longer than ${MAX_SAMPLE_VALUE_CHARS} characters`, { [path]: 'too long' });
    if (value === null || typeof value !== 'object') return;
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== Array.prototype && proto !== null)
      throw invalid(`${path} must be plain JSON`, { [path]: 'not plain JSON' });
    if (depth > MAX_SAMPLE_DATA_DEPTH)
      throw invalid(`data nests deeper than ${MAX_SAMPLE_DATA_DEPTH} levels`, { [path]: 'nested too deeply' });
    for (const [key, child] of Object.entries(value)) {
      const childPath = `${path}.${key}`;
      if (FORBIDDEN_KEYS.has(key))
        throw invalid(`${childPath} is not an allowed name`, { [childPath]: 'reserved name' });
      walk(child, childPath, depth + 1);
    }
  };
  walk(data, 'data', 1);
  return data;
}
