import { createHmac, randomBytes } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/common';
import { Inject, Injectable } from '@nestjs/common';
import { AllowedHosts, connectHost, guardedLookup, isPublicAddress } from './address-guard.js';

/** Longest one POST may take, connection included. */
const POST_TIMEOUT_MS = 10_000;
export const SIGNATURE_HEADER = 'herald-signature';
export const TIMESTAMP_HEADER = 'herald-timestamp';
export const DELIVERY_HEADER = 'herald-delivery';

/** A new signing secret: shown once, at creation or rotation. */
export const newSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

/**
 * The signature receivers check: hex HMAC-SHA256, keyed with the whole
 * secret (`whsec_…`) as UTF-8, over `<timestamp>.<body>` where timestamp is
 * the `Herald-Timestamp` header (Unix seconds) and body the raw bytes.
 */
export function signature(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** How one POST ended: the receiver's status, or why no status came back. */
export type PostOutcome = { ok: boolean; status: number | null; error: string | null };

/**
 * Checks and POSTs webhook URLs. Only https, to names whose every address
 * is public, unless the host is in HERALD_WEBHOOK_ALLOW_HOSTS (local
 * development). The address check runs at connection time on the address
 * connected to (`guardedLookup`), so what was true at creation need not
 * still be; redirects are never followed.
 */
@Injectable()
export class WebhookPost {
  private readonly allowed: AllowedHosts;

  constructor(@Inject(HERALD_CONFIG) config: HeraldConfig) {
    this.allowed = new AllowedHosts(config.HERALD_WEBHOOK_ALLOW_HOSTS);
  }

  /** Why `raw` cannot be a webhook URL, or null when it can: resolved now, as an API check. */
  async refusal(raw: string): Promise<string | null> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return 'must be an absolute https URL';
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an absolute https URL';
    if (url.username !== '' || url.password !== '') return 'must not contain a user name or password';
    if (this.allowed.allows(url)) return null;
    if (url.protocol !== 'https:') return 'must use https';
    const host = connectHost(url);
    if (isIP(host) !== 0) return isPublicAddress(host) ? null : `points to ${host}, which is not a public address`;
    let addresses: { address: string }[];
    try {
      addresses = await dnsLookup(host, { all: true });
    } catch {
      return `the host ${host} does not resolve`;
    }
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    return refused === undefined
      ? null
      : `the host ${host} resolves to ${refused.address}, which is not a public address`;
  }

  /** POSTs `body` signed with `secret`; never throws. */
  async post(rawUrl: string, secret: string, deliveryId: string, body: string): Promise<PostOutcome> {
    const refused = this.connectRefusal(rawUrl);
    if (refused !== null) return { ok: false, status: null, error: refused };
    const url = new URL(rawUrl);
    const timestamp = Math.floor(Date.now() / 1000);
    const allowed = this.allowed.allows(url);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<PostOutcome>((done) => {
      let timer: NodeJS.Timeout | undefined = undefined;
      const resolve = (outcome: PostOutcome) => {
        clearTimeout(timer);
        done(outcome);
      };
      const req = send(
        {
          method: 'POST',
          hostname: connectHost(url),
          port: url.port === '' ? undefined : Number(url.port),
          path: `${url.pathname}${url.search}`,
          // Allowed hosts (development) resolve as usual; every other name only to public addresses.
          lookup: allowed ? undefined : guardedLookup(),
          agent: false,
          timeout: POST_TIMEOUT_MS,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'Herald-Webhooks/1',
            [TIMESTAMP_HEADER]: String(timestamp),
            [SIGNATURE_HEADER]: signature(secret, timestamp, body),
            [DELIVERY_HEADER]: deliveryId,
          },
        },
        (res: IncomingMessage) => {
          // The body is not kept: a receiver's page has no place in the log.
          res.resume();
          const status = res.statusCode ?? 0;
          const finish = () => resolve(outcomeOf(status));
          res.on('end', finish);
          res.on('error', finish);
        },
      );
      // The socket's idle timeout does not end a receiver that answers a byte at a time: this does.
      const late = () => req.destroy(new Error(`no answer within ${POST_TIMEOUT_MS / 1000} s`));
      timer = setTimeout(late, POST_TIMEOUT_MS);
      req.on('timeout', late);
      req.on('error', (error: Error) => resolve({ ok: false, status: null, error: describe(error) }));
      req.end(body);
    });
  }

  /** What refuses a URL before connecting: scheme and literal addresses (a name is checked as it resolves). */
  private connectRefusal(raw: string): string | null {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return 'not a URL';
    }
    if (url.username !== '' || url.password !== '') return 'the URL contains credentials';
    if (this.allowed.allows(url)) return null;
    if (url.protocol !== 'https:') return 'only https URLs are called';
    // `net.connect` skips `lookup` for an address literal, so it is checked here.
    const host = connectHost(url);
    if (isIP(host) !== 0 && !isPublicAddress(host)) return `refused: ${host} is not a public address`;
    return null;
  }
}

function outcomeOf(status: number): PostOutcome {
  if (status >= 200 && status < 300) return { ok: true, status, error: null };
  if (status >= 300 && status < 400) return { ok: false, status, error: `HTTP ${status}: redirects are not followed` };
  return { ok: false, status, error: `HTTP ${status}` };
}

function describe(error: Error): string {
  const code = (error as { code?: string }).code;
  if (code === 'EWEBHOOKADDRESS') return `refused: ${error.message}`;
  return (code ? `${code}: ${error.message}` : error.message).slice(0, 300);
}
