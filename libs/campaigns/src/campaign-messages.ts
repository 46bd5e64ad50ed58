import { Db } from '@herald/common';
import { ContactsService } from '@herald/contacts';
import { Outbox, SendersService } from '@herald/delivery';
import {
  compileLinkUrl,
  type CompiledTemplate,
  MessageRenderer,
  templateData,
  TemplatesService,
  type TemplateSource,
} from '@herald/templates';
import { type MessageBranding, type MessageSource, type TrackedMessage, TrackedMessages } from '@herald/tracking';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { CampaignDeliverer, type CampaignContent } from './campaign-deliverer.js';
import { campaignsSql } from './campaigns.sql.js';

/** Entries kept per cache before it starts over: links and compiled templates of recent campaigns. */
const CACHE_LIMIT = 10_000;
const COMPILED_LIMIT = 20;
const TEST_LINKS_TTL_MS = 60_000;

type LinkTarget = string | ((data: Record<string, unknown>) => string) | null;

/**
 * Campaign messages as tracking looks them up from a token: the message
 * row, its campaign's stored links, and the message rendered again for the
 * web view. Registered in tracking's `TrackedMessages` (tracking sits below
 * campaigns and never reads these tables).
 */
@Injectable()
export class CampaignMessages implements MessageSource, OnModuleInit {
  /** `campaignId:index` to the stored URL (or its renderer when personalised); links never change after start. */
  private readonly links = new Map<string, LinkTarget>();
  private readonly compiled = new Map<string, Promise<CompiledTemplate | null>>();
  /** Link destinations of drafts' test sends, by campaign, for a short while. */
  private readonly testLinks = new Map<string, { links: Promise<Map<number, string>>; until: number }>();

  constructor(
    private readonly db: Db,
    private readonly registry: TrackedMessages,
    private readonly outbox: Outbox,
    private readonly senders: SendersService,
    private readonly contacts: ContactsService,
    private readonly renderer: MessageRenderer,
    private readonly deliverer: CampaignDeliverer,
    private readonly templates: TemplatesService,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  find(ids: readonly string[]): Promise<Map<string, TrackedMessage>> {
    return this.outbox.find(ids);
  }

  async linkUrl(message: TrackedMessage, index: number): Promise<string | null> {
    if (message.campaignId === null) return null;
    const key = `${message.campaignId}:${index}`;
    let target = this.links.get(key);
    if (target === undefined) {
      const row = await this.db.maybeOne<{ url: string }>(campaignsSql.linkUrl, [message.campaignId, index]);
      target = row === undefined ? null : linkTarget(row.url);
      // A draft has no stored links yet: its test sends' links come from its template, and are never cached here
      // (the campaign's own are stored when it starts).
      if (target === null && message.isTest) target = await this.testLink(message.campaignId, index);
      else {
        if (this.links.size >= CACHE_LIMIT) this.links.clear();
        this.links.set(key, target);
      }
    }
    if (target === null || typeof target === 'string') return target;
    try {
      return httpUrl(target(templateData(await this.contactData(message), {})));
    } catch {
      // A value this recipient holds cannot fill the link (render limits): there is nowhere safe to send them.
      return null;
    }
  }

  async webView(message: TrackedMessage): Promise<{ subject: string; html: string } | null> {
    if (message.campaignId === null) return null;
    const compiled = await this.compiledFor(message.campaignId);
    if (compiled === null) return null;
    const rendered = this.renderer.render(compiled, {
      messageId: message.id,
      contact: await this.contactData(message),
    });
    return { subject: rendered.subject, html: rendered.html };
  }

  async branding(message: TrackedMessage): Promise<MessageBranding | null> {
    let senderId = message.senderId;
    if (senderId === null && message.campaignId !== null) {
      const row = await this.db.maybeOne<{ sender_ids: string[] }>(campaignsSql.webViewSource, [message.campaignId]);
      senderId = row?.sender_ids[0] ?? null;
    }
    if (senderId === null) return null;
    try {
      const sender = await this.senders.get(senderId);
      return { senderName: sender.fromName ?? sender.name, postalAddress: sender.postalAddress };
    } catch {
      return null; // deleted since
    }
  }

  /**
   * Link `index` of a test send of a campaign that has not started: the
   * campaign's template as it is now, with its overrides, compiled as
   * `CampaignsService.test` compiles it (links are numbered in order of
   * appearance, so an unchanged template gives the same numbers). Kept for a
   * minute per campaign: test sends are few, but each compile runs MJML.
   */
  private async testLink(campaignId: string, index: number): Promise<LinkTarget> {
    const cached = this.testLinks.get(campaignId);
    let links = cached !== undefined && cached.until > Date.now() ? cached.links : undefined;
    if (links === undefined) {
      links = this.compileTestLinks(campaignId);
      if (this.testLinks.size >= COMPILED_LIMIT) this.testLinks.clear();
      this.testLinks.set(campaignId, { links, until: Date.now() + TEST_LINKS_TTL_MS });
      links.catch(() => this.testLinks.delete(campaignId));
    }
    const url = (await links).get(index);
    return url === undefined ? null : linkTarget(url);
  }

  private async compileTestLinks(campaignId: string): Promise<Map<number, string>> {
    const row = await this.db.maybeOne<{
      template_id: string | null;
      subject: string | null;
      preheader: string | null;
      track_clicks: boolean;
      sender_ids: string[];
    }>(campaignsSql.testSource, [campaignId]);
    if (row === undefined || row.template_id === null || !row.track_clicks) return new Map();
    const [template, [sender]] = await Promise.all([
      this.templates.get(row.template_id),
      this.senders.forSending(row.sender_ids),
    ]);
    if (sender === undefined) return new Map();
    const source: TemplateSource = {
      subject: row.subject ?? template.subject,
      preheader: row.preheader ?? template.preheader,
      format: template.format,
      body: template.body,
      textBody: template.textBody,
    };
    const compiled = await this.deliverer.compile(source, sender, false, true);
    return new Map(compiled.links.map((l) => [l.index, l.url]));
  }

  private async contactData(message: TrackedMessage) {
    const found =
      message.contactId === null
        ? undefined
        : (await this.contacts.renderDataMany([message.contactId])).get(message.contactId);
    return found ?? { email: message.email };
  }

  /** The campaign's frozen content compiled as sent, without the open pixel: once per campaign and process. */
  private compiledFor(campaignId: string): Promise<CompiledTemplate | null> {
    let compiled = this.compiled.get(campaignId);
    if (compiled === undefined) {
      compiled = this.compileWebView(campaignId);
      if (this.compiled.size >= COMPILED_LIMIT) this.compiled.clear();
      this.compiled.set(campaignId, compiled);
      compiled.catch(() => this.compiled.delete(campaignId));
    }
    return compiled;
  }

  private async compileWebView(campaignId: string): Promise<CompiledTemplate | null> {
    const row = await this.db.maybeOne<{ content: CampaignContent; track_clicks: boolean; sender_ids: string[] }>(
      campaignsSql.webViewSource,
      [campaignId],
    );
    if (row === undefined) return null;
    const [sender] = await this.senders.forSending(row.sender_ids);
    if (sender === undefined) return null;
    return this.deliverer.compile(row.content.source, sender, false, row.track_clicks);
  }
}

/** A stored URL, or its renderer when it is personalised. */
const linkTarget = (url: string): LinkTarget => (url.includes('{{') ? compileLinkUrl(url) : url);

/** Only an absolute http(s) URL is a place to redirect to. */
function httpUrl(value: string): string | null {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}
