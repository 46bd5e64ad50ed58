import {
  Db,
  decodeCursor,
  HERALD_CONFIG,
  type HeraldConfig,
  notFound,
  type Page,
  parseId,
  toPage,
} from '@herald/common';
import { Inject, Injectable } from '@nestjs/common';
import { type AddressObject, simpleParser } from 'mailparser';
import type { SandboxMessageDetailView, SandboxMessageView } from './sandbox.dto.js';
import {
  INSERT_SANDBOX_MESSAGE,
  LIST_SANDBOX_MESSAGES,
  SUMMARY_COLUMNS,
  type SandboxMessageDetailRow,
  type SandboxMessageRow,
  TRIM_SANDBOX_MESSAGES,
} from './sandbox-messages.sql.js';

export interface Envelope {
  from: string | null;
  to: string[];
}

// Postgres text cannot hold NUL; a message may carry one in a header or a part.
// eslint-disable-next-line no-control-regex
const NUL = /\u0000/g;
const clean = (value: string | null | undefined): string | null =>
  value == null ? null : value.replace(NUL, '\ufffd');

const addressText = (value: AddressObject | AddressObject[] | undefined): string | null =>
  value === undefined ? null : (Array.isArray(value) ? value.map((a) => a.text).join(', ') : value.text) || null;

const toView = (r: SandboxMessageRow): SandboxMessageView => ({
  id: r.id,
  receivedAt: r.received_at.toISOString(),
  envelopeFrom: r.envelope_from,
  envelopeTo: r.envelope_to,
  messageId: r.message_id,
  from: r.from_header,
  to: r.to_header,
  subject: r.subject,
  size: r.size,
});

/** What the sandbox inbox caught: stored parsed and raw, newest kept, read back through the API. */
@Injectable()
export class SandboxMessages {
  constructor(
    private readonly db: Db,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  /** Parses and stores one message, then trims the oldest beyond the configured count. Returns its id. */
  async store(envelope: Envelope, raw: Buffer): Promise<string> {
    const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
    const headers = parsed.headerLines.map((h) => {
      const colon = h.line.indexOf(':');
      return {
        name: clean(colon >= 0 ? h.line.slice(0, colon) : h.key)!,
        value: clean((colon >= 0 ? h.line.slice(colon + 1) : '').replace(/\r?\n[ \t]+/g, ' ').trim())!,
      };
    });
    const { id } = await this.db.one<{ id: string }>(INSERT_SANDBOX_MESSAGE, [
      clean(envelope.from),
      envelope.to.map((t) => clean(t)!),
      clean(parsed.messageId),
      clean(addressText(parsed.from)),
      clean(addressText(parsed.to)),
      clean(parsed.subject),
      JSON.stringify(headers),
      typeof parsed.html === 'string' ? clean(parsed.html) : null,
      clean(parsed.text),
      raw,
      raw.length,
    ]);
    await this.db.execute(TRIM_SANDBOX_MESSAGES, [this.config.HERALD_SANDBOX_MAX_MESSAGES]);
    return id;
  }

  async list(limit: number, cursor?: string, to?: string): Promise<Page<SandboxMessageView>> {
    const before = decodeCursor(cursor);
    const rows = await this.db.rows<SandboxMessageRow>(LIST_SANDBOX_MESSAGES, [
      before ?? null,
      limit + 1,
      to?.trim() || null,
    ]);
    return toPage(rows, limit, toView);
  }

  async get(id: string): Promise<SandboxMessageDetailView> {
    const row = await this.db.maybeOne<SandboxMessageDetailRow>(
      `SELECT ${SUMMARY_COLUMNS}, headers, html, text FROM sandbox_messages WHERE id = $1`,
      [parseId(id)],
    );
    if (row === undefined) throw notFound('Sandbox message', id);
    return { ...toView(row), headers: row.headers, html: row.html, text: row.text };
  }

  async raw(id: string): Promise<Buffer> {
    const row = await this.db.maybeOne<{ raw: Buffer }>(`SELECT raw FROM sandbox_messages WHERE id = $1`, [
      parseId(id),
    ]);
    if (row === undefined) throw notFound('Sandbox message', id);
    return row.raw;
  }

  /** Empties the inbox; returns how many messages went. */
  async clear(): Promise<number> {
    return this.db.execute(`DELETE FROM sandbox_messages`);
  }
}
