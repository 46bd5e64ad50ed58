import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.js';

const TIMEOUT_MS = 400;

interface Check {
  id: string;
  status: string;
  name: string | null;
  found: string[];
  expected: string | null;
  message: string;
}

/** A DKIM public key that is not the sender's: what a stale record publishes. */
const otherKey = () =>
  generateKeyPairSync('rsa', { modulusLength: 2048 })
    .publicKey.export({ type: 'spki', format: 'der' })
    .toString('base64');

describe('sender DNS check against a local DNS server', () => {
  let t: TestApp;
  let dns: TestDnsServer;

  beforeAll(async () => {
    dns = await startDnsServer();
    t = await startTestApp({ env: { HERALD_DNS_SERVERS: dns.servers, HERALD_DNS_TIMEOUT_MS: String(TIMEOUT_MS) } });
  });

  afterAll(async () => {
    await t?.close();
    await dns?.close();
  });

  /** A sender of `news@<domain>` on 192.0.2.10, signing as `s1._domainkey.<dkimDomain>` with a generated key. */
  async function sender(domain: string, dkimDomain: string | null = domain): Promise<{ id: string; dkim: string }> {
    const res = await t.request('POST', '/api/v1/senders', {
      body: {
        name: domain,
        host: '192.0.2.10',
        port: 2525,
        security: 'none',
        fromEmail: `news@${domain}`,
        postalAddress: '1 Main Street, Springfield',
        ...(dkimDomain === null ? {} : { dkimDomain, dkimSelector: 's1', dkimGenerate: true }),
      },
    });
    expect(res.status, res.text).toBe(201);
    return { id: res.body.id, dkim: res.body.dkimRecord?.value ?? '' };
  }

  async function check(id: string): Promise<{ ok: boolean; checks: Record<string, Check>; body: any }> {
    const res = await t.request('GET', `/api/v1/senders/${id}/dns/check`);
    expect(res.status, res.text).toBe(200);
    const checks = Object.fromEntries((res.body.checks as Check[]).map((c) => [c.id, c]));
    expect(Object.keys(checks)).toEqual(['spf', 'dkim', 'dmarc', 'spf_alignment', 'dkim_alignment']);
    return { ok: res.body.ok, checks, body: res.body };
  }

  it('passes a domain that publishes what the records to publish say', async () => {
    const s = await sender('good.example.com');
    const publish = (await t.request('GET', `/api/v1/senders/${s.id}/dns`)).body;
    expect(publish.dmarc.value).toBe('v=DMARC1; p=none; rua=mailto:dmarc-reports@good.example.com');
    // A range that holds the server's address and an include count as naming it; other TXT records are ignored.
    dns.zone.set('good.example.com', [
      'google-site-verification=abc123',
      'v=spf1 ip4:192.0.2.0/24 include:_spf.good.example.com ~all',
    ]);
    dns.zone.set('_spf.good.example.com', ['v=spf1 a mx -all']);
    dns.zone.set('s1._domainkey.good.example.com', [publish.dkim.value]);
    dns.zone.set('_dmarc.good.example.com', [publish.dmarc.value]);

    const { ok, checks, body } = await check(s.id);
    expect(body).toMatchObject({ senderId: s.id, domain: 'good.example.com', resolver: dns.servers });
    for (const c of Object.values(checks)) expect(c.status, `${c.id}: ${c.message}`).toBe('ok');
    expect(ok).toBe(true);
    expect(checks.spf.found).toEqual(['v=spf1 ip4:192.0.2.0/24 include:_spf.good.example.com ~all']);
    // A 2048-bit key is longer than one 255-byte TXT string: the strings are joined before comparing.
    expect(checks.dkim.found[0].length).toBeGreaterThan(255);
    expect(checks.dmarc.message).toMatch(/Policy none: .*p=quarantine/);
  });

  it('names each missing record and what to publish', async () => {
    const s = await sender('missing.example.com');
    const { ok, checks } = await check(s.id);
    expect(ok).toBe(false);
    expect(checks.spf).toMatchObject({ status: 'missing', expected: 'v=spf1 ip4:192.0.2.10 ~all' });
    expect(checks.spf.message).toMatch(/no SPF record.*Publish a TXT record at missing\.example\.com/);
    expect(checks.dkim).toMatchObject({ status: 'missing', name: 's1._domainkey.missing.example.com' });
    expect(checks.dkim.expected).toBe(s.dkim);
    expect(checks.dmarc).toMatchObject({ status: 'missing', name: '_dmarc.missing.example.com' });
    expect(checks.dmarc.message).toMatch(/Gmail and Yahoo require/);
    expect(checks.spf_alignment.status).toBe('wrong');
    expect(checks.spf_alignment.message).toMatch(/fix the SPF check first/);
    expect(checks.dkim_alignment.status).toBe('wrong');

    const unsigned = await sender('unsigned.example.com', null);
    const second = await check(unsigned.id);
    expect(second.checks.dkim).toMatchObject({ status: 'missing', name: null });
    expect(second.checks.dkim.message).toMatch(/does not sign its mail with DKIM/);
    expect(second.checks.dkim_alignment.status).toBe('missing');
  });

  it('says what is wrong with records that are there', async () => {
    const s = await sender('wrong.example.com');
    dns.zone.set('wrong.example.com', ['v=spf1 +all']);
    dns.zone.set('s1._domainkey.wrong.example.com', [`v=DKIM1; k=rsa; p=${otherKey()}`]);
    dns.zone.set('_dmarc.wrong.example.com', ['v=DMARC1; rua=mailto:d@wrong.example.com']);
    const { checks } = await check(s.id);
    expect(checks.spf.status).toBe('wrong');
    expect(checks.spf.message).toMatch(/\+all.*lets anyone send/);
    expect(checks.dkim.status).toBe('wrong');
    expect(checks.dkim.message).toMatch(/not this sender's key.*Replace the record with: v=DKIM1/);
    expect(checks.dmarc.status).toBe('wrong');
    expect(checks.dmarc.message).toMatch(/no valid policy/);

    const two = await sender('two.example.com');
    dns.zone.set('two.example.com', ['v=spf1 ip4:192.0.2.10 ~all', 'v=spf1 include:mail.example.net ~all']);
    dns.zone.set('s1._domainkey.two.example.com', ['v=DKIM1; k=rsa; p=']);
    dns.zone.set('_dmarc.two.example.com', ['v=DMARC1; p=none', 'v=DMARC1; p=reject']);
    const second = await check(two.id);
    expect(second.checks.spf.message).toMatch(/has 2 SPF records/);
    expect(second.checks.dkim.message).toMatch(/revoked/);
    expect(second.checks.dmarc.message).toMatch(/has 2 DMARC records/);

    // An SPF record that does not name the server, and one that needs more than 10 lookups.
    const other = await sender('other.example.com');
    dns.zone.set('other.example.com', ['v=spf1 ip4:198.51.100.0/24 -all']);
    const third = await check(other.id);
    expect(third.checks.spf.status).toBe('wrong');
    expect(third.checks.spf.message).toMatch(/does not name your SMTP server\. Add ip4:192\.0\.2\.10/);

    const deep = await sender('deep.example.com');
    const chain = Array.from({ length: 6 }, (_, i) => `i${i}.deep.example.com`);
    dns.zone.set('deep.example.com', [`v=spf1 ip4:192.0.2.10 include:${chain[0]} ~all`]);
    chain.forEach((name, i) =>
      dns.zone.set(name, [`v=spf1 a mx${i + 1 < chain.length ? ` include:${chain[i + 1]}` : ''} ~all`]),
    );
    const fourth = await check(deep.id);
    expect(fourth.checks.spf.status).toBe('wrong');
    expect(fourth.checks.spf.message).toMatch(/needs \d+ DNS lookups.*stop at 10/);
  });

  it('checks alignment with the From domain and reads a parent domain’s DMARC', async () => {
    // Signing as another organisation's domain: DKIM may verify, but it does not align.
    const s = await sender('news.brand.example.com', 'esp.example.net');
    dns.zone.set('news.brand.example.com', ['v=spf1 ip4:192.0.2.10 ~all']);
    const publish = (await t.request('GET', `/api/v1/senders/${s.id}/dns`)).body;
    dns.zone.set('s1._domainkey.esp.example.net', [publish.dkim.value]);
    dns.zone.set('_dmarc.brand.example.com', ['v=DMARC1; p=quarantine; rua=mailto:d@brand.example.com']);
    const { checks } = await check(s.id);
    expect(checks.dkim.status).toBe('ok');
    expect(checks.dkim_alignment.status).toBe('wrong');
    expect(checks.dkim_alignment.message).toMatch(
      /signs as esp\.example\.net, which is not the From domain news\.brand\.example\.com/,
    );
    expect(checks.spf_alignment.status).toBe('ok');
    expect(checks.dmarc).toMatchObject({ status: 'ok', name: '_dmarc.brand.example.com' });
    expect(checks.dmarc.message).toMatch(/quarantine \(inherited from _dmarc\.brand\.example\.com\)/);

    // Relaxed alignment takes a subdomain of the same organisation; adkim=s asks for the exact domain.
    const sub = await sender('shop.example.org', 'mail.shop.example.org');
    dns.zone.set('shop.example.org', ['v=spf1 ip4:192.0.2.10 ~all']);
    const subPublish = (await t.request('GET', `/api/v1/senders/${sub.id}/dns`)).body;
    dns.zone.set('s1._domainkey.mail.shop.example.org', [subPublish.dkim.value]);
    dns.zone.set('_dmarc.shop.example.org', ['v=DMARC1; p=none']);
    expect((await check(sub.id)).checks.dkim_alignment.status).toBe('ok');
    dns.zone.set('_dmarc.shop.example.org', ['v=DMARC1; p=none; adkim=s']);
    const strict = await check(sub.id);
    expect(strict.checks.dkim_alignment.status).toBe('wrong');
    expect(strict.checks.dkim_alignment.message).toMatch(/adkim=s/);
  });

  it('reports a resolver that fails or does not answer as an error, in bounded time', async () => {
    const s = await sender('dead.example.com');
    dns.silent.add('dead.example.com');
    dns.silent.add('s1._domainkey.dead.example.com');
    dns.failing.add('_dmarc.dead.example.com');
    const started = Date.now();
    const { ok, checks } = await check(s.id);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS * 6);
    expect(ok).toBe(false);
    expect(checks.spf.status).toBe('error');
    expect(checks.spf.message).toMatch(`did not answer within ${TIMEOUT_MS} ms`);
    expect(checks.spf.message).toMatch(/HERALD_DNS_SERVERS/);
    expect(checks.dkim.status).toBe('error');
    expect(checks.dmarc.status).toBe('error');
    expect(checks.dmarc.message).toMatch(/server failure/);
    expect(checks.spf_alignment.status).toBe('error');

    // An include that fails leaves open whether the server is named: an error, not "wrong".
    const inc = await sender('inc.example.com');
    dns.zone.set('inc.example.com', ['v=spf1 include:_spf.provider.example.net ~all']);
    dns.failing.add('_spf.provider.example.net');
    const included = await check(inc.id);
    expect(included.checks.spf).toMatchObject({ status: 'error', name: '_spf.provider.example.net' });
    expect(included.checks.spf.found).toEqual(['v=spf1 include:_spf.provider.example.net ~all']);

    expect((await t.request('GET', '/api/v1/senders/999999/dns/check')).status).toBe(404);
  });
});
