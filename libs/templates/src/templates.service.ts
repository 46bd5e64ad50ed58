import {
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
import { ContactsService, FieldsService, type FieldType } from '@herald/contacts';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { SenderInfo, TemplateFormat, TemplateSource, TemplateWarning } from './compile-template.js';
import type { MessageParts } from './handlebars.js';
import { type ContactData, renderParts, templateData } from './render.js';
import { STARTER_TEMPLATES } from './starters/index.js';
import { MessageRenderer, PLACEHOLDER_SENDER } from './message-renderer.js';
import type { TemplateDto, TemplatePreviewDto, TemplateSummaryDto } from './templates.dto.js';

/** A template as a marketer writes it; it must compile to be stored. */
export interface NewTemplate {
  name: string;
  subject: string;
  /** Defaults to empty. */
  preheader?: string;
  /** Defaults to `mjml`. */
  format?: TemplateFormat;
  body: string;
  /** A hand-written text part; null or absent derives it from the HTML. */
  textBody?: string | null;
}

/** Absent keys stay; a null `textBody` goes back to the derived text part. */
export type TemplateChanges = Partial<NewTemplate>;

/** Whom a preview renders for: a stored contact, sample values laid over it, or both. */
export interface PreviewRequest {
  contactId?: string;
  /** Values by name that replace the contact's (`first_name`) or its attributes (`plan`). */
  data?: Record<string, unknown>;
}

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

const COLUMNS = `id, name, subject, preheader, format, body, text_body, starter, created_at, updated_at`;
const SUMMARY_COLUMNS = `id, name, subject, preheader, format, starter, created_at, updated_at`;

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
    private readonly db: Db,
    private readonly renderer: MessageRenderer,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly contacts: ContactsService,
    private readonly fields: FieldsService,
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
      const claimed = await m.execute(
        `INSERT INTO settings (key, value) VALUES ('templates_seeded', now()::text) ON CONFLICT (key) DO NOTHING`,
      );
      if (claimed === 0) return false;
      await m.execute(
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
    const rows = await this.db.rows<TemplateRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM templates WHERE ($1::bigint IS NULL OR id > $1) ORDER BY id LIMIT $2`,
      [after ?? null, limit + 1],
    );
    return toPage(rows, limit, toSummary);
  }

  async get(id: string): Promise<TemplateDto> {
    return toView(await this.find(this.db, id));
  }

  async create(input: NewTemplate): Promise<TemplateDto> {
    const row = {
      subject: input.subject,
      preheader: input.preheader ?? '',
      format: input.format ?? 'mjml',
      body: input.body,
      text_body: input.textBody ?? null,
    };
    await this.renderer.compile(toSource(row));
    const created = await this.db.one<TemplateRow>(
      `INSERT INTO templates (name, subject, preheader, format, body, text_body)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [input.name, row.subject, row.preheader, row.format, row.body, row.text_body],
    );
    return toView(created);
  }

  async update(id: string, input: TemplateChanges): Promise<TemplateDto> {
    // Row lock: two concurrent edits must not each validate a different merge.
    return this.db.transaction(async (m) => {
      const current = await this.find(m, id, true);
      const next: TemplateRow = {
        ...current,
        name: input.name ?? current.name,
        subject: input.subject ?? current.subject,
        preheader: input.preheader ?? current.preheader,
        format: input.format ?? current.format,
        body: input.body ?? current.body,
        text_body: input.textBody === undefined ? current.text_body : input.textBody,
      };
      await this.renderer.compile(toSource(next));
      const updated = await m.one<TemplateRow>(
        `UPDATE templates SET name = $2, subject = $3, preheader = $4, format = $5, body = $6, text_body = $7,
           updated_at = now()
         WHERE id = $1 RETURNING ${COLUMNS}`,
        [current.id, next.name, next.subject, next.preheader, next.format, next.body, next.text_body],
      );
      return toView(updated);
    });
  }

  async remove(id: string): Promise<void> {
    const deleted = await this.db.execute(`DELETE FROM templates WHERE id = $1`, [parseId(id)]);
    if (deleted === 0) throw notFound('Template', id);
  }

  /**
   * Renders a template as a chosen contact (or sample data) would get it.
   * Nothing is tracked: links keep their real destinations, there is no open
   * pixel, and the unsubscribe and web-view links point at `/u/preview` and
   * `/w/preview`, which no token verifies.
   */
  async preview(id: string, request: PreviewRequest): Promise<TemplatePreviewDto> {
    const template = await this.find(this.db, id);
    return this.render(toSource(template), request);
  }

  /**
   * Renders a template that is not stored, as `preview` renders a stored one:
   * what an editor shows while the marketer types. It compiles the same way,
   * so a draft that would be refused on save is refused here with the same
   * 422 and lines.
   */
  async previewDraft(draft: Omit<NewTemplate, 'name'>, request: PreviewRequest): Promise<TemplatePreviewDto> {
    return this.render(
      {
        subject: draft.subject,
        preheader: draft.preheader ?? '',
        format: draft.format ?? 'mjml',
        body: draft.body,
        textBody: draft.textBody ?? null,
      },
      request,
    );
  }

  /**
   * A stored template as one transactional message: rendered once with
   * `data` (checked as preview data is), without tracking and without the
   * unsubscribe footer, since transactional mail is no list mail. A template
   * that links to `{{unsubscribe_url}}` is refused: there is no list to leave
   * and the link would be empty. An unknown template is a 404 naming `field`.
   */
  async renderTransactional(
    id: string,
    data: Record<string, unknown>,
    sender: SenderInfo,
    field = 'templateId',
  ): Promise<MessageParts> {
    const template = await this.db.maybeOne<TemplateRow>(`SELECT ${COLUMNS} FROM templates WHERE id = $1`, [
      parseId(id, field),
    ]);
    if (template === undefined) {
      throw new DomainError('not_found', `Template ${id} does not exist`, { [field]: 'unknown template' });
    }
    const compiled = await this.renderer.compile(toSource(template), {
      sender,
      trackOpens: false,
      trackClicks: false,
      unsubscribeFooter: false,
    });
    if (compiled.usesUnsubscribeUrl) {
      throw unprocessable(
        `${field}: template ${id} links to {{unsubscribe_url}}, which transactional mail has no value for; use a template without it`,
        { [field]: 'uses {{unsubscribe_url}}' },
      );
    }
    const contact: ContactData = { email: '', attributes: {} };
    overlay(contact, checkSampleData(data));
    return renderParts(compiled, templateData(contact, { sender }));
  }

  private async render(source: TemplateSource, request: PreviewRequest): Promise<TemplatePreviewDto> {
    if (request.contactId !== undefined) parseId(request.contactId, 'contactId');
    const sample = request.data === undefined ? undefined : checkSampleData(request.data);
    const contact: ContactData =
      request.contactId !== undefined ? await this.contacts.renderData(request.contactId) : await this.sampleContact();
    if (sample) overlay(contact, sample);

    const compiled = await this.renderer.compile(source, { trackOpens: false, trackClicks: false });
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

  private async find(m: Sql, id: string, lock = false): Promise<TemplateRow> {
    const row = await m.maybeOne<TemplateRow>(
      `SELECT ${COLUMNS} FROM templates WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
      [parseId(id)],
    );
    if (row === undefined) throw notFound('Template', id);
    return row;
  }

  /** A made-up contact with a plausible value for every custom field, so previews show them filled in. */
  async sampleContact(): Promise<ContactData> {
    const fields = (await this.fields.all()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const attributes: Record<string, unknown> = {};
    for (const f of fields) attributes[f.name] = sampleValue(f.type, f.label ?? f.name);
    return { email: 'jane.doe@example.com', first_name: 'Jane', last_name: 'Doe', attributes };
  }
}

function sampleValue(type: FieldType, label: string): unknown {
  switch (type) {
    case 'number':
      return 42;
    case 'boolean':
      return true;
    case 'date':
      return new Date().toISOString().slice(0, 10);
    case 'text':
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
