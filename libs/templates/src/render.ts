import { type MessageTokens } from '@herald/common';
import { CLICK_BASE, type CompiledTemplate, indexLinks, OPEN_URL, openPixelHtml } from './compile-template.js';
import { type MessageParts, preEscaped, type RenderData } from './handlebars.js';
import { beforeBodyClose } from './html.js';

/** A contact as templates see it: its columns and its custom attributes. */
export interface ContactData {
  email: string;
  first_name?: string | null;
  last_name?: string | null;
  attributes?: Record<string, unknown> | null;
}

export interface Recipient {
  /** The `messages` row id (a bigint identity as a string): what the message's token carries. */
  messageId: string;
  contact: ContactData;
}

export interface RenderedMessage extends MessageParts {
  /** The message token behind every tracking and unsubscribe URL in this message. */
  token: string;
}

/** Subjects become a header: no line breaks or control characters, whatever a contact value holds. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const HEADER_UNSAFE = /[\u0000-\u001f\u007f]+/g;

/**
 * The data object a template sees: custom attributes by name, the contact's
 * columns, then the system values, which nothing can override. It never
 * holds configuration.
 */
export function templateData(contact: ContactData, system: Record<string, unknown>): RenderData {
  const attributes = contact.attributes ?? {};
  // Built by assignment: an object spread followed by more properties takes
  // a much slower V8 path, and this runs for every recipient.
  const data: RenderData = {};
  for (const name of Object.keys(attributes)) {
    // Assigning "__proto__" would replace the object's prototype instead of adding a value.
    if (name !== '__proto__') data[name] = attributes[name];
  }
  data.email = contact.email;
  data.first_name = contact.first_name ?? null;
  data.last_name = contact.last_name ?? null;
  data.attributes = attributes;
  for (const name of Object.keys(system)) data[name] = system[name];
  return data;
}

/**
 * Tracking URLs of one message, all under its one token. A click URL is
 * `<PUBLIC_URL>/t/c/<token>.<link index>`: the index is not part of the
 * token (one token per message, not per link) and only selects among the
 * links stored for the campaign.
 */
export function trackingUrls(publicUrl: string, token: string): Record<string, unknown> {
  const urls = messageUrls(publicUrl, token);
  return {
    unsubscribe_url: urls.unsubscribe,
    webview_url: urls.webView,
    // Repeated at every link: marked pre-escaped (tokens are URL-safe by construction).
    [CLICK_BASE]: preEscaped(urls.clickBase),
    [OPEN_URL]: urls.open,
  };
}

function messageUrls(publicUrl: string, token: string) {
  const base = publicUrl.replace(/\/+$/, '');
  return {
    unsubscribe: `${base}/u/${token}`,
    webView: `${base}/w/${token}`,
    clickBase: `${base}/t/c/${token}.`,
    open: `${base}/t/o/${token}`,
  };
}

/**
 * Finished HTML (no template: a relayed or API message) tracked for one
 * message, with the same URLs a campaign's messages carry: each link that
 * `links` holds goes through `/t/c/<token>.<its index in links>` (links it
 * does not hold stay as written, so a click can only lead to a stored
 * destination), and the open pixel goes before `</body>` when `opens`.
 * `links` is the message's stored `trackableLinks`, or empty to track
 * opens only.
 */
export function addTracking(
  html: string,
  options: { publicUrl: string; token: string; links: readonly string[]; opens: boolean },
): string {
  const urls = messageUrls(options.publicUrl, options.token);
  const stored = new Map(options.links.map((url, index) => [url, index]));
  let tracked =
    stored.size === 0
      ? html
      : indexLinks(html, ({ url }) => {
          const index = stored.get(url);
          return index === undefined ? undefined : `${urls.clickBase}${index}`;
        }).html;
  if (options.opens) tracked = beforeBodyClose(tracked, openPixelHtml(urls.open));
  return tracked;
}

/**
 * The per-recipient step behind `MessageRenderer.render`: one token (a
 * single AES block), then one Handlebars call for subject, HTML and text
 * together. No MJML and no HTML parsing happens here. `tokens` is built once per process from the app
 * secret (`new MessageTokens(secret)`), never per message.
 */
export function renderMessage(
  compiled: CompiledTemplate,
  recipient: Recipient,
  tokens: MessageTokens,
): RenderedMessage {
  const token = tokens.sign(recipient.messageId);
  const system = trackingUrls(compiled.options.publicUrl, token);
  system.sender = compiled.options.sender;
  const parts = renderParts(compiled, templateData(recipient.contact, system));
  return { subject: parts.subject, html: parts.html, text: parts.text, token };
}

/** Renders the three parts on a prepared data object, with a subject safe to put in a header. */
export function renderParts(compiled: CompiledTemplate, data: RenderData): MessageParts {
  const parts = compiled.message(data);
  parts.subject = parts.subject.replace(HEADER_UNSAFE, ' ').trim();
  return parts;
}

/** Splits `<token>.<index>` from a click URL; the token still has to be verified (`MessageTokens.verify`). */
export function parseClickToken(value: string): { token: string; index: number } | null {
  const match = /^([A-Za-z0-9_-]{22})\.(\d{1,6})$/.exec(value);
  return match ? { token: match[1], index: Number(match[2]) } : null;
}
