import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Where webhooks may go: public unicast addresses only. Everything a
 * request from inside the installation could reach and the outside could
 * not (loopback, private and shared ranges, link-local with the cloud
 * metadata address, multicast, unspecified, documentation and reserved
 * ranges, and IPv6 forms that embed or translate to IPv4) is refused.
 */
const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // shared address space (carrier-grade NAT)
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128],
  ['::', 96], // IPv4-compatible (deprecated)
  ['64:ff9b::', 96], // NAT64: would reach any IPv4 address, private ones too
  ['64:ff9b:1::', 48],
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments, Teredo
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv6');
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d` or `::ffff:7f00:1`), if it is one. */
function mappedIpv4(address: string): string | undefined {
  const m = /^::ffff:(?:0:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (m) {
    const [hi, lo] = [parseInt(m[1], 16), parseInt(m[2], 16)];
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  const dotted = /^::ffff:(?:0:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return dotted?.[1];
}

/** Whether `address` (an IP literal, IPv6 without brackets) is a public unicast address. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !NON_PUBLIC.check(address, 'ipv4');
  if (family === 6) {
    const v4 = mappedIpv4(address.toLowerCase());
    if (v4 !== undefined) return isIP(v4) === 4 && !NON_PUBLIC.check(v4, 'ipv4');
    return !NON_PUBLIC.check(address, 'ipv6');
  }
  return false;
}

/** The error a refused address gives: its message goes to the delivery log. */
export class NonPublicAddressError extends Error {
  readonly code = 'EWEBHOOKADDRESS';
}

type Resolve = (
  hostname: string,
  options: LookupAllOptions,
  callback: (err: Error | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * A `lookup` for `http.request` that resolves the name, refuses the
 * connection when any of its addresses is not public, and hands the
 * connection exactly the addresses it checked. The check and the connection
 * use one resolution, so a name that answers a public address to a first
 * query and a private one to the next (DNS rebinding) cannot get through.
 * `resolve` is `dns.lookup` except in tests.
 */
export function guardedLookup(resolve: Resolve = dnsLookup as Resolve): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { family: options.family, hints: options.hints, all: true }, (err, addresses) => {
      const reply = callback as (err: Error | null, address: string | LookupAddress[], family?: number) => void;
      if (err) return reply(err, '', 0);
      const refused = addresses.find((a) => !isPublicAddress(a.address));
      if (addresses.length === 0 || refused !== undefined)
        return reply(
          new NonPublicAddressError(`${hostname} resolves to ${refused?.address ?? 'nothing'}, not a public address`),
          '',
          0,
        );
      if (options.all) return reply(null, addresses);
      reply(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** The hosts of HERALD_WEBHOOK_ALLOW_HOSTS: `name`, `ip` or `host:port` entries, lower-cased, IPv6 in brackets (`[::1]:8080`). */
export class AllowedHosts {
  private readonly entries: Set<string>;

  constructor(setting: string | undefined) {
    this.entries = new Set(
      (setting ?? '')
        .split(',')
        .map((e) => e.trim().toLowerCase())
        .filter((e) => e !== ''),
    );
  }

  /** Whether a URL's host (as `URL.hostname` gives it) and port may be reached whatever it resolves to. */
  allows(url: URL): boolean {
    if (this.entries.size === 0) return false;
    const host = url.hostname.toLowerCase();
    const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
    return this.entries.has(host) || this.entries.has(`${host}:${port}`);
  }
}

/** A URL's host as `net.connect` takes it: IPv6 literals without their brackets. */
export const connectHost = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');
