import { BlockList, isIP } from 'node:net';

/** What one TXT lookup found: the records (each one's strings joined), none, or a resolver that failed. */
export type TxtAnswer =
  { kind: 'found'; records: string[] } | { kind: 'none' } | { kind: 'error'; code: string; message: string };

export type TxtLookup = (name: string) => Promise<TxtAnswer>;

export type DnsCheckId = 'spf' | 'dkim' | 'dmarc' | 'spf_alignment' | 'dkim_alignment';
export type DnsCheckStatus = 'ok' | 'missing' | 'wrong' | 'error';

export interface DnsCheck {
  id: DnsCheckId;
  status: DnsCheckStatus;
  /** The DNS name looked up, when there is one. */
  name: string | null;
  /** The records found there that the check read. */
  found: string[];
  /** What to publish, when something should change. */
  expected: string | null;
  /** What is the matter and what to do, for a marketer. */
  message: string;
}

/** What the records to publish say, from the sender's settings. */
export interface DnsExpectation {
  /** The From domain. */
  domain: string;
  /** The domain of the envelope sender (the VERP return path), which SPF checks. */
  envelopeDomain: string;
  /** The SMTP server as an SPF mechanism (`ip4:…`, `ip6:…`, `a:host`) and the full record to publish. */
  spf: { mechanism: string; record: string };
  dkim: { domain: string; selector: string; publicKey: string; record: string } | null;
  dmarc: { record: string };
}

/** RFC 7208 §4.6.4: more DNS lookups than this while evaluating SPF is a permanent error. */
const SPF_LOOKUP_LIMIT = 10;
const LOOKUP_TERMS = new Set(['include', 'a', 'mx', 'ptr', 'exists', 'redirect']);

/**
 * Looks up the SPF, DKIM and DMARC records of a sender's domain and says for
 * each whether it is there and right, and whether DKIM and the envelope
 * domain align with From as DMARC requires. Never throws for DNS trouble: a
 * resolver that fails or does not answer is an `error` check.
 */
export async function checkDns(expect: DnsExpectation, lookup: TxtLookup): Promise<DnsCheck[]> {
  const [spf, dkim, dmarc] = await Promise.all([
    checkSpf(expect, lookup),
    checkDkim(expect, lookup),
    checkDmarc(expect, lookup),
  ]);
  return [spf, dkim, dmarc.check, spfAlignment(expect, spf, dmarc.tags), dkimAlignment(expect, dkim, dmarc.tags)];
}

function resolverError(id: DnsCheckId, name: string, answer: { code: string; message: string }): DnsCheck {
  return {
    id,
    status: 'error',
    name,
    found: [],
    expected: null,
    message: `The DNS lookup of ${name} failed (${answer.message}). Try again in a minute; if it keeps failing, check the DNS servers Herald uses (HERALD_DNS_SERVERS).`,
  };
}

async function checkSpf(expect: DnsExpectation, lookup: TxtLookup): Promise<DnsCheck> {
  const name = expect.envelopeDomain;
  const base = { id: 'spf' as const, name, expected: expect.spf.record };
  const answer = await lookup(name);
  if (answer.kind === 'error') return resolverError('spf', name, answer);
  const records = answer.kind === 'found' ? answer.records.filter(isSpf) : [];
  if (records.length === 0) {
    return {
      ...base,
      status: 'missing',
      found: [],
      message: `${name} has no SPF record, so receivers cannot tell that your SMTP server may send for it. Publish a TXT record at ${name}: ${expect.spf.record}`,
    };
  }
  if (records.length > 1) {
    return {
      ...base,
      status: 'wrong',
      found: records,
      message: `${name} has ${records.length} SPF records; receivers then reject them all. Merge them into one record that also holds ${expect.spf.mechanism}.`,
    };
  }
  const [record] = records;
  const terms = spfTerms(record);
  if (terms.some((t) => t === 'all' || t === '+all')) {
    return {
      ...base,
      status: 'wrong',
      found: records,
      message: `The SPF record of ${name} ends in "+all", which lets anyone send as ${name}. Replace it with "~all" (or "-all").`,
    };
  }
  const walk = await walkSpf(record, lookup);
  if (walk.lookups > SPF_LOOKUP_LIMIT) {
    return {
      ...base,
      status: 'wrong',
      found: records,
      message: `The SPF record of ${name} needs ${walk.lookups} DNS lookups to evaluate; receivers stop at ${SPF_LOOKUP_LIMIT} and treat it as an error. Remove includes you no longer use.`,
    };
  }
  const named = walk.mechanisms.some((m) => authorises(m, expect.spf.mechanism));
  if (!named && walk.failed) return { ...resolverError('spf', walk.failed.name, walk.failed), found: records };
  if (!named) {
    return {
      ...base,
      status: 'wrong',
      found: records,
      message: `The SPF record of ${name} does not name your SMTP server. Add ${expect.spf.mechanism} before the "all" at its end (or your email provider's include:, if it documents one).`,
    };
  }
  return {
    ...base,
    status: 'ok',
    found: records,
    expected: null,
    message: `SPF of ${name} authorises your SMTP server (${expect.spf.mechanism}).`,
  };
}

const isSpf = (record: string) => /^v=spf1(\s|$)/i.test(record.trim());
const spfTerms = (record: string) => record.trim().toLowerCase().split(/\s+/).slice(1);

/**
 * Every mechanism of an SPF record and of the records it includes or
 * redirects to, and the DNS lookups evaluating it takes (RFC 7208 §4.6.4).
 * Stops counting once past the limit; a loop or an include without a record
 * ends that branch, a failing lookup the walk.
 */
async function walkSpf(
  record: string,
  lookup: TxtLookup,
): Promise<{ mechanisms: string[]; lookups: number; failed?: { name: string; code: string; message: string } }> {
  const mechanisms: string[] = [];
  let lookups = 0;
  const seen = new Set<string>();
  let failed: { name: string; code: string; message: string } | undefined;
  const visit = async (text: string): Promise<void> => {
    for (const term of spfTerms(text)) {
      const bare = term.replace(/^[+?~-]/, '');
      const kind = bare.split(/[:=/]/, 1)[0];
      if (LOOKUP_TERMS.has(kind)) lookups++;
      mechanisms.push(bare);
      const target = kind === 'include' || kind === 'redirect' ? bare.slice(kind.length + 1) : '';
      if (target === '' || seen.has(target) || lookups > SPF_LOOKUP_LIMIT || failed) continue;
      seen.add(target);
      const answer = await lookup(target);
      // One resolver failure ends the walk: each further lookup would wait as long again.
      if (answer.kind === 'error') failed = { name: target, code: answer.code, message: answer.message };
      const next = answer.kind === 'found' ? answer.records.find(isSpf) : undefined;
      if (next !== undefined) await visit(next);
    }
  };
  await visit(record);
  return { mechanisms, lookups, failed };
}

/** Whether a published mechanism covers the one Herald asks for: the same term, or an ip4/ip6 range holding the address. */
function authorises(published: string, wanted: string): boolean {
  if (published === wanted.toLowerCase()) return true;
  const [kind, address] = wanted.split(':', 2) as [string, string | undefined];
  if ((kind !== 'ip4' && kind !== 'ip6') || address === undefined || !published.startsWith(`${kind}:`)) return false;
  const [network, prefix] = published.slice(kind.length + 1).split('/');
  const family = kind === 'ip4' ? 'ipv4' : 'ipv6';
  if (isIP(network) !== (kind === 'ip4' ? 4 : 6)) return false;
  const bits = prefix === undefined ? (kind === 'ip4' ? 32 : 128) : Number(prefix);
  if (!Number.isInteger(bits) || bits < 0 || bits > (kind === 'ip4' ? 32 : 128)) return false;
  const range = new BlockList();
  range.addSubnet(network, bits, family);
  return range.check(address, family);
}

/** `k=v; k=v` tags of DKIM and DMARC records, keys lower-cased, values trimmed. */
function tags(record: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of record.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return out;
}

async function checkDkim(expect: DnsExpectation, lookup: TxtLookup): Promise<DnsCheck> {
  if (expect.dkim === null) {
    return {
      id: 'dkim',
      status: 'missing',
      name: null,
      found: [],
      expected: null,
      message:
        'This sender does not sign its mail with DKIM, which Gmail and Yahoo require of bulk senders. Give it a DKIM domain and selector with a generated key, then publish the record Herald shows.',
    };
  }
  const { domain, selector, publicKey, record: expected } = expect.dkim;
  const name = `${selector}._domainkey.${domain}`;
  const base = { id: 'dkim' as const, name, expected };
  const answer = await lookup(name);
  if (answer.kind === 'error') return resolverError('dkim', name, answer);
  const found = answer.kind === 'found' ? answer.records : [];
  if (found.length === 0) {
    return {
      ...base,
      status: 'missing',
      found,
      message: `There is no DKIM record at ${name}, so receivers cannot check Herald's signature. Publish a TXT record at ${name}: ${expected}`,
    };
  }
  const keys = found.filter((r) => tags(r).has('p'));
  if (keys.length !== 1) {
    return {
      ...base,
      status: 'wrong',
      found,
      message:
        keys.length === 0
          ? `The TXT record at ${name} is not a DKIM key (it has no "p=" tag). Replace it with: ${expected}`
          : `${name} holds ${keys.length} DKIM keys; receivers may pick either. Keep only: ${expected}`,
    };
  }
  const published = tags(keys[0]);
  const key = (published.get('p') ?? '').replace(/\s+/g, '');
  const algorithm = (published.get('k') ?? 'rsa').toLowerCase();
  if (key === '') {
    return {
      ...base,
      status: 'wrong',
      found,
      message: `The DKIM key at ${name} is revoked (empty "p="). Replace the record with: ${expected}`,
    };
  }
  if (algorithm !== 'rsa' || key !== publicKey) {
    return {
      ...base,
      status: 'wrong',
      found,
      message: `The DKIM key published at ${name} is not this sender's key (was the key regenerated or uploaded again?), so signatures fail. Replace the record with: ${expected}`,
    };
  }
  return {
    ...base,
    status: 'ok',
    found,
    expected: null,
    message: `The DKIM key at ${name} matches the key this sender signs with.`,
  };
}

/** `_dmarc.<domain>`, then each parent down to two labels: DMARC's fallback to the organisational domain. */
function dmarcNames(domain: string): string[] {
  const labels = domain.split('.');
  const names: string[] = [];
  for (let i = 0; i <= labels.length - 2; i++) names.push(`_dmarc.${labels.slice(i).join('.')}`);
  return names;
}

async function checkDmarc(
  expect: DnsExpectation,
  lookup: TxtLookup,
): Promise<{ check: DnsCheck; tags: Map<string, string> | null }> {
  const own = `_dmarc.${expect.domain}`;
  const base = { id: 'dmarc' as const, expected: expect.dmarc.record };
  for (const name of dmarcNames(expect.domain)) {
    const answer = await lookup(name);
    if (answer.kind === 'error') return { check: resolverError('dmarc', name, answer), tags: null };
    const records = answer.kind === 'found' ? answer.records.filter((r) => /^v=DMARC1\s*(;|$)/i.test(r.trim())) : [];
    if (records.length === 0) continue;
    const inherited = name === own ? '' : ` (inherited from ${name})`;
    if (records.length > 1) {
      return {
        check: {
          ...base,
          name,
          status: 'wrong',
          found: records,
          message: `${name} has ${records.length} DMARC records; receivers then ignore DMARC. Keep one: ${expect.dmarc.record}`,
        },
        tags: null,
      };
    }
    const parsed = tags(records[0]);
    const policy = (parsed.get('p') ?? '').toLowerCase();
    if (!['none', 'quarantine', 'reject'].includes(policy)) {
      return {
        check: {
          ...base,
          name,
          status: 'wrong',
          found: records,
          message: `The DMARC record at ${name} has no valid policy ("p=none", "p=quarantine" or "p=reject"), so receivers ignore it. Publish: ${expect.dmarc.record}`,
        },
        tags: null,
      };
    }
    const reports = parsed.has('rua') ? '' : ' It has no report address (rua=), so you get no reports.';
    const advice =
      policy === 'none'
        ? `Policy none${inherited}: receivers report but act on nothing. Move to p=quarantine once SPF and DKIM pass.`
        : `Policy ${policy}${inherited}: receivers ${policy === 'reject' ? 'refuse' : 'junk'} mail that fails DMARC.`;
    return {
      check: { ...base, name, status: 'ok', found: records, expected: null, message: advice + reports },
      tags: parsed,
    };
  }
  return {
    check: {
      ...base,
      name: own,
      status: 'missing',
      found: [],
      message: `${expect.domain} has no DMARC record, which Gmail and Yahoo require of bulk senders. Publish a TXT record at ${own}: ${expect.dmarc.record}`,
    },
    tags: null,
  };
}

/**
 * The organisational domain, approximated without the public suffix list:
 * the last two labels, or three under a two-letter country code with a
 * short second level (`example.co.uk`).
 */
export function organisationalDomain(domain: string): string {
  const labels = domain.toLowerCase().replace(/\.$/, '').split('.');
  const three = labels.length >= 3 && labels.at(-1)!.length === 2 && labels.at(-2)!.length <= 3;
  return labels.slice(three ? -3 : -2).join('.');
}

/** DMARC identifier alignment: relaxed (same organisational domain) unless the record asks for strict. */
function aligned(domain: string, from: string, strict: boolean): boolean {
  const a = domain.toLowerCase();
  const b = from.toLowerCase();
  return strict ? a === b : organisationalDomain(a) === organisationalDomain(b);
}

function spfAlignment(expect: DnsExpectation, spf: DnsCheck, dmarc: Map<string, string> | null): DnsCheck {
  const strict = dmarc?.get('aspf')?.toLowerCase() === 's';
  const base = { id: 'spf_alignment' as const, name: null, found: [], expected: null };
  if (!aligned(expect.envelopeDomain, expect.domain, strict)) {
    return {
      ...base,
      status: 'wrong',
      message: `Bounces go to ${expect.envelopeDomain}, which is not the From domain ${expect.domain}: DMARC cannot pass on SPF.`,
    };
  }
  if (spf.status !== 'ok') {
    return {
      ...base,
      status: spf.status === 'error' ? 'error' : 'wrong',
      message: `Bounces go to the From domain ${expect.domain}, so SPF would align, but SPF does not pass yet: fix the SPF check first.`,
    };
  }
  return {
    ...base,
    status: 'ok',
    message: `Bounces go to the From domain ${expect.domain} and its SPF passes: SPF aligns with From.`,
  };
}

function dkimAlignment(expect: DnsExpectation, dkim: DnsCheck, dmarc: Map<string, string> | null): DnsCheck {
  const base = { id: 'dkim_alignment' as const, name: null, found: [], expected: null };
  if (expect.dkim === null) {
    return {
      ...base,
      status: 'missing',
      message: `Without a DKIM signature DMARC rests on SPF alone, which fails when mail is forwarded. Sign with a key for ${expect.domain}.`,
    };
  }
  const strict = dmarc?.get('adkim')?.toLowerCase() === 's';
  if (!aligned(expect.dkim.domain, expect.domain, strict)) {
    return {
      ...base,
      status: 'wrong',
      message: `Herald signs as ${expect.dkim.domain}, which is not the From domain ${expect.domain}${strict ? ' (DMARC asks for an exact match, adkim=s)' : ''}: DMARC cannot pass on DKIM. Set the sender's DKIM domain to ${expect.domain}.`,
    };
  }
  if (dkim.status !== 'ok') {
    return {
      ...base,
      status: dkim.status === 'error' ? 'error' : 'wrong',
      message: `Herald signs as ${expect.dkim.domain}, which aligns with From, but the DKIM key does not check out yet: fix the DKIM check first.`,
    };
  }
  return {
    ...base,
    status: 'ok',
    message: `Herald signs as ${expect.dkim.domain} with the published key: DKIM aligns with From.`,
  };
}
