import { DomainError } from '@herald/common';
import { type DnsCheck, messageDomain, SendersService, type SendingSender } from '@herald/delivery';
import {
  type CompiledTemplate,
  GMAIL_CLIP_BYTES,
  lintMessage,
  type TemplateSource,
  TemplatesService,
} from '@herald/templates';
import { Injectable } from '@nestjs/common';
import { type BuiltMessage, CampaignDeliverer } from './campaign-deliverer.js';
import type { PreflightCheckView } from './campaigns.dto.js';

/** What the checklist needs of a campaign. */
export interface ChecklistInput {
  campaignId: string;
  /** The frozen content of a started campaign or the template as it is now; null: no template chosen. */
  source: TemplateSource | null;
  senders: SendingSender[];
  trackOpens: boolean;
  trackClicks: boolean;
}

type Status = PreflightCheckView['status'];

const worst = (statuses: Status[]): Status =>
  statuses.includes('fail') ? 'fail' : statuses.includes('warn') ? 'warn' : 'pass';

const kb = (bytes: number) => `${Math.ceil(bytes / 1024)} KB`;

/**
 * The pre-send checklist: sender authentication from the DNS check, and what
 * a sample message built by the campaign's own sending path (compile,
 * render, MIME skeleton) carries: unsubscribe link and headers, postal
 * address, size, text part, and the spam lint. Says what is wrong; never
 * throws for DNS or template trouble.
 */
@Injectable()
export class CampaignChecklist {
  constructor(
    private readonly senders: SendersService,
    private readonly templates: TemplatesService,
    private readonly deliverer: CampaignDeliverer,
  ) {}

  async checks(input: ChecklistInput): Promise<PreflightCheckView[]> {
    const checks: PreflightCheckView[] = [await this.authentication(input.senders), postalAddress(input.senders)];
    const sender = input.senders.find((s) => s.disabledReason === null) ?? input.senders[0];
    if (input.source === null || sender === undefined) {
      checks.push({
        id: 'content',
        status: 'fail',
        title: 'Message',
        detail:
          input.source === null
            ? 'Choose a template: the message itself cannot be checked without one.'
            : 'Choose a sender: the message itself cannot be checked without one.',
      });
      return checks;
    }
    let compiled: CompiledTemplate;
    let sample: BuiltMessage;
    try {
      compiled = await this.deliverer.compile(input.source, sender, input.trackOpens, input.trackClicks);
      sample = this.deliverer.sample(input.campaignId, compiled, sender, await this.templates.sampleContact());
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      checks.push({ id: 'content', status: 'fail', title: 'Message', detail: error.message });
      return checks;
    }
    checks.push(
      unsubscribeLink(compiled, sample),
      unsubscribeHeaders(sample),
      addressShown(compiled),
      size(sample),
      textPart(input.source, sample),
    );
    const findings = lintMessage({
      subject: sample.rendered.subject,
      preheader: input.source.preheader ?? '',
      html: sample.rendered.html,
      text: sample.rendered.text,
      links: compiled.links.map((l) => l.url),
    });
    if (findings.length === 0) {
      checks.push({
        id: 'spam',
        status: 'pass',
        title: 'Spam triggers',
        detail: 'Nothing in the subject or body that content filters are known to hold against a message.',
      });
    }
    for (const f of findings)
      checks.push({ id: `spam.${f.rule}`, status: f.severity, title: f.title, detail: f.reason });
    return checks;
  }

  /**
   * SPF and DKIM alignment with each sender's From domain, from the DNS
   * check: DMARC passes on either, Gmail and Yahoo want both for bulk mail.
   * A resolver that fails is a warning, never an error of the preflight.
   */
  private async authentication(senders: SendingSender[]): Promise<PreflightCheckView> {
    const title = 'SPF and DKIM aligned with the From domain';
    const real = senders.filter((s) => s.kind !== 'sandbox');
    if (real.length === 0) {
      return {
        id: 'authentication',
        status: senders.length === 0 ? 'fail' : 'pass',
        title,
        detail:
          senders.length === 0
            ? 'Choose a sender.'
            : "The sandbox sender delivers into Herald's own inbox: no DNS records are needed.",
      };
    }
    const parts = await Promise.all(
      real.map(async (s): Promise<{ status: Status; detail: string }> => {
        let checks: DnsCheck[];
        try {
          checks = (await this.senders.checkDns(s.id)).checks;
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          return { status: 'warn', detail: `${s.name}: the DNS check could not run (${error.message}).` };
        }
        const by = new Map(checks.map((c) => [c.id, c]));
        const problems = checks.filter((c) => c.status !== 'ok');
        const alignedPasses = (['spf_alignment', 'dkim_alignment'] as const).filter(
          (id) => by.get(id)?.status === 'ok',
        ).length;
        const failed = problems.some((c) => c.status === 'missing' || c.status === 'wrong');
        const status: Status =
          problems.length === 0
            ? 'pass'
            : problems.every((c) => c.status === 'error')
              ? 'warn'
              : alignedPasses === 0 && failed
                ? 'fail'
                : 'warn';
        const domain = messageDomain(s.fromEmail);
        const detail =
          problems.length === 0
            ? `${s.name} (${domain}): SPF, DKIM and DMARC are published and align with From.`
            : [
                `${s.name} (${domain}):`,
                ...problems.map((c) => `• ${c.id.replace('_', ' ')} ${c.status}: ${c.message}`),
              ].join('\n');
        return { status, detail };
      }),
    );
    const skipped = senders.length - real.length;
    return {
      id: 'authentication',
      status: worst(parts.map((p) => p.status)),
      title,
      detail: [
        ...parts.map((p) => p.detail),
        ...(skipped > 0 ? ["The sandbox sender delivers into Herald's own inbox and needs no DNS records."] : []),
      ].join('\n'),
    };
  }
}

function postalAddress(senders: SendingSender[]): PreflightCheckView {
  const without = senders.filter((s) => s.postalAddress.trim() === '');
  return {
    id: 'postal_address',
    status: senders.length > 0 && without.length === 0 ? 'pass' : 'fail',
    title: 'Postal address on every sender',
    detail:
      without.length > 0
        ? `Set a postal address on ${without.map((s) => s.name).join(', ')}: the law in many countries requires it in bulk mail.`
        : senders.length === 0
          ? 'Choose a sender: its postal address goes into the footer.'
          : 'Every sender has a postal address for the footer.',
  };
}

function unsubscribeLink(compiled: CompiledTemplate, sample: BuiltMessage): PreflightCheckView {
  const inHtml = sample.rendered.html.includes(`/u/${sample.token}"`);
  const inText = sample.rendered.text.includes(`/u/${sample.token}`);
  return {
    id: 'unsubscribe_link',
    status: inHtml && inText ? 'pass' : 'fail',
    title: 'Unsubscribe link',
    detail:
      inHtml && inText
        ? compiled.addedUnsubscribeFooter
          ? 'The template has no unsubscribe link of its own; Herald adds a footer with one to the HTML and text.'
          : 'The HTML and the text part link to the unsubscribe page.'
        : `The rendered ${inHtml ? 'text part' : 'HTML'} has no working unsubscribe link: use {{unsubscribe_url}} as the link's address.`,
  };
}

/** Reads List-Unsubscribe and List-Unsubscribe-Post from the sample's header, as a receiver would. */
function unsubscribeHeaders(sample: BuiltMessage): PreflightCheckView {
  const end = sample.raw.indexOf('\r\n\r\n');
  const header = sample.raw
    .subarray(0, end)
    .toString('utf8')
    .replace(/\r\n[ \t]+/g, ' ');
  const field = (name: string) =>
    header
      .split('\r\n')
      .find((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))
      ?.slice(name.length + 1)
      .trim();
  const listUnsubscribe = field('List-Unsubscribe');
  const post = field('List-Unsubscribe-Post');
  const https = listUnsubscribe?.match(/<(https:[^>]+)>/)?.[1];
  const signed = (field('DKIM-Signature') ?? '').replace(/\s+/g, '').toLowerCase();
  const covered = /h=[^;]*list-unsubscribe:list-unsubscribe-post/.test(signed);
  const title = 'List-Unsubscribe headers (one-click)';
  if (listUnsubscribe === undefined || post !== 'List-Unsubscribe=One-Click') {
    return {
      id: 'list_unsubscribe_headers',
      status: 'fail',
      title,
      detail:
        'The message lacks List-Unsubscribe or List-Unsubscribe-Post: mail clients cannot offer one-click unsubscribe.',
    };
  }
  if (https === undefined) {
    return {
      id: 'list_unsubscribe_headers',
      status: 'warn',
      title,
      detail:
        'List-Unsubscribe points at an http address: one-click unsubscribe (RFC 8058), which Gmail and Yahoo require of bulk senders, needs https. Set PUBLIC_URL to an https address.',
    };
  }
  return {
    id: 'list_unsubscribe_headers',
    status: 'pass',
    title,
    detail: `Every message carries List-Unsubscribe (https and mailto) and List-Unsubscribe-Post: One-Click${covered ? ', both covered by the DKIM signature' : ''}.`,
  };
}

function addressShown(compiled: CompiledTemplate): PreflightCheckView {
  const missing = compiled.warnings.find((w) => w.code === 'no_postal_address');
  return {
    id: 'postal_address_shown',
    status: missing ? 'fail' : 'pass',
    title: 'Postal address in the message',
    detail: missing
      ? 'The template has its own footer without the postal address: add {{sender.address}} to it.'
      : "The footer shows the sender's postal address.",
  };
}

function size(sample: BuiltMessage): PreflightCheckView {
  const html = Buffer.byteLength(sample.rendered.html);
  return {
    id: 'size',
    status: html <= GMAIL_CLIP_BYTES ? 'pass' : 'fail',
    title: 'Size under 102 KB',
    detail:
      html <= GMAIL_CLIP_BYTES
        ? `The HTML is ${kb(html)} (the whole message ${kb(sample.raw.length)}); Gmail clips above 102 KB.`
        : `The HTML is ${kb(html)}: Gmail clips it above 102 KB behind "View entire message", hiding the footer and the open pixel. Shorten the content or move long parts to your website.`,
  };
}

function textPart(source: TemplateSource, sample: BuiltMessage): PreflightCheckView {
  const present = sample.rendered.text.trim() !== '';
  return {
    id: 'text_part',
    status: present ? 'pass' : 'fail',
    title: 'Plain-text part',
    detail: present
      ? source.textBody
        ? 'The message has the hand-written text part.'
        : 'The message has a text part generated from the HTML.'
      : 'The text part is empty: filters distrust HTML-only mail. Write a text part or add text to the HTML.',
  };
}
