/**
 * Which opens and clicks were not made by a person. Every rule is here, so
 * what the report calls "human" is decided in one place. A machine event is
 * still recorded (the report shows totals beside human figures); it only
 * never counts as a human open or click.
 *
 * Decisions:
 * - Apple Mail Privacy Protection fetches every image of a message when it is
 *   delivered, whether or not it is read, with the user agent exactly
 *   `Mozilla/5.0`: such opens are machine opens.
 * - Google's and Yahoo's image proxies (`GoogleImageProxy`, `YahooMailProxy`)
 *   fetch images when the person opens the message in the webmail and cache
 *   them: they are proxies of a person's open, so they count as human.
 * - HEAD requests are never a person reading or clicking: link checkers and
 *   scanners use them.
 * - A request without a user agent is a program.
 * - Link scanners (mail security gateways, Safe Links, URL defence) follow
 *   links right after delivery: a click within CLICK_AFTER_SEND_MS of the
 *   message being accepted, or clicks on two or more different links of one
 *   message within LINK_BURST_MS of each other, are machine clicks. A person
 *   needs longer to read a message and more than that to come back for a
 *   second link.
 * - Known bots and HTTP libraries by user agent.
 */

export type MachineReason =
  'head_request' | 'no_user_agent' | 'privacy_proxy' | 'bot_user_agent' | 'click_right_after_send' | 'link_burst';

/** A click this soon after the receiving server accepted the message is a scanner's. */
export const CLICK_AFTER_SEND_MS = 10_000;
/** Clicks on different links of one message this close together are a scanner's. */
export const LINK_BURST_MS = 2_000;

/** Apple Mail Privacy Protection's image fetcher announces itself as nothing more than this. */
const APPLE_PRIVACY_PROXY = 'Mozilla/5.0';

/**
 * Scanners, crawlers and HTTP libraries. Matched case-insensitively anywhere
 * in the user agent; kept narrow so that no browser matches.
 */
const BOT_USER_AGENT =
  /bot\/|\bbot\b|crawler|spider|slurp|curl\/|wget\/|python-requests|python-urllib|aiohttp|httpx|go-http-client|java\/|okhttp|libwww|apache-httpclient|node-fetch|axios\/|headlesschrome|phantomjs|barracuda|mimecast|proofpoint|urldefense|symantec|messagelabs|trendmicro|forcepoint|sophos|fireeye|checkpoint|cisco ironport|zscaler|safelinks|microsoft office existence discovery|linkchecker/i;

export interface OpenHit {
  method: 'GET' | 'HEAD';
  userAgent: string | null;
}

export interface ClickHit extends OpenHit {
  at: Date;
  linkIndex: number;
}

/** Why an open was not a person's, or null when it counts as human. */
export function machineOpen(hit: OpenHit): MachineReason | null {
  return byRequest(hit) ?? (hit.userAgent === APPLE_PRIVACY_PROXY ? 'privacy_proxy' : null);
}

/**
 * Why a click was not a person's, or null. `sentAt` is when the message
 * was accepted; `others` are the message's other clicks known to this
 * process (recent ones, before and after this one).
 */
export function machineClick(
  hit: ClickHit,
  sentAt: Date | null,
  others: readonly { at: Date; linkIndex: number }[],
): MachineReason | null {
  const reason = byRequest(hit);
  if (reason !== null) return reason;
  if (sentAt !== null && hit.at.getTime() - sentAt.getTime() < CLICK_AFTER_SEND_MS) return 'click_right_after_send';
  const burst = others.some(
    (o) => o.linkIndex !== hit.linkIndex && Math.abs(o.at.getTime() - hit.at.getTime()) <= LINK_BURST_MS,
  );
  return burst ? 'link_burst' : null;
}

function byRequest(hit: OpenHit): MachineReason | null {
  if (hit.method === 'HEAD') return 'head_request';
  const agent = hit.userAgent?.trim() ?? '';
  if (agent === '') return 'no_user_agent';
  if (BOT_USER_AGENT.test(agent)) return 'bot_user_agent';
  return null;
}
