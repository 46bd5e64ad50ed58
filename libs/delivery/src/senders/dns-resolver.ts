import { promises as dns } from 'node:dns';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/common';
import { Inject, Injectable } from '@nestjs/common';
import type { TxtAnswer } from './dns-check.js';

/** Codes that mean "the name has no such record", not "the resolver failed". */
const NO_RECORD = new Set<string>([dns.NOTFOUND, dns.NODATA]);

/**
 * TXT lookups for the sender DNS check, through the servers in
 * HERALD_DNS_SERVERS (the system's when unset), each bounded by
 * HERALD_DNS_TIMEOUT_MS: a dead resolver is an answer, not a hang.
 */
@Injectable()
export class DnsResolver {
  private readonly timeoutMs: number;
  private readonly servers: string[];

  constructor(@Inject(HERALD_CONFIG) config: HeraldConfig) {
    this.timeoutMs = config.HERALD_DNS_TIMEOUT_MS;
    this.servers = (config.HERALD_DNS_SERVERS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  /** Which servers are asked, for the check's answer. */
  describe(): string {
    return this.servers.length === 0 ? 'system resolver' : this.servers.join(', ');
  }

  async txt(name: string): Promise<TxtAnswer> {
    // One resolver per lookup: cancel() on a timeout ends only this lookup's queries.
    const resolver = new dns.Resolver({ timeout: this.timeoutMs, tries: 1 });
    if (this.servers.length > 0) resolver.setServers(this.servers);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        resolver.cancel();
        reject(Object.assign(new Error('timeout'), { code: dns.TIMEOUT }));
      }, this.timeoutMs + 250);
    });
    try {
      const records = await Promise.race([resolver.resolveTxt(name), deadline]);
      return { kind: 'found', records: records.map((strings) => strings.join('')) };
    } catch (error) {
      const code = String((error as { code?: unknown }).code ?? 'EUNKNOWN');
      if (NO_RECORD.has(code)) return { kind: 'none' };
      return { kind: 'error', code, message: describeFailure(code, this.timeoutMs) };
    } finally {
      clearTimeout(timer);
    }
  }
}

function describeFailure(code: string, timeoutMs: number): string {
  switch (code) {
    case dns.TIMEOUT:
    case dns.CANCELLED:
      return `the DNS server did not answer within ${timeoutMs} ms`;
    case dns.CONNREFUSED:
      return 'the DNS server refused the connection';
    case dns.SERVFAIL:
      return 'the DNS server answered with a server failure';
    case dns.REFUSED:
      return 'the DNS server refused the query';
    default:
      return `DNS error ${code}`;
  }
}
