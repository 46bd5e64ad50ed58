import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { createAudience, createCampaign, createSender } from '../support/campaigns.js';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.js';

interface Check {
  id: string;
  status: 'pass' | 'warn' | 'fail';
  title: string;
  detail: string;
}

const CLEAN_BODY = `<mjml><mj-body><mj-section><mj-column>
  <mj-image src="https://garden.example.com/spring.jpg" alt="Seedlings on a windowsill" />
  <mj-text>Hello {{default first_name "friend"}},</mj-text>
  <mj-text>Our spring catalogue is out. This season we added forty new garden tools, a range of seeds from local
  growers, and a guide to planting tomatoes in small spaces. Members get early access to the workshop calendar,
  which opens on Monday. Thank you for gardening with us this year; we read every reply you send.</mj-text>
  <mj-button href="https://garden.example.com/spring">See the catalogue</mj-button>
</mj-column></mj-section></mj-body></mjml>`;

const SPAMMY_BODY = `<mjml><mj-body><mj-section><mj-column>
  <mj-image src="https://deals.example.com/banner.jpg" alt="Deal" href="https://bit.ly/3xYzAbc" />
  <mj-text>WINNER!!! Click here</mj-text>
</mj-column></mj-section></mj-body></mjml>`;

describe('campaign preflight checklist', () => {
  let t: TestApp;
  let dns: TestDnsServer;
  let listId: string;

  beforeAll(async () => {
    dns = await startDnsServer();
    t = await startTestApp({
      env: { HERALD_DNS_SERVERS: dns.servers, HERALD_DNS_TIMEOUT_MS: '400', PUBLIC_URL: 'https://herald.example.com' },
    });
    ({ listId } = await createAudience(t, 'check', 2));
  });

  afterAll(async () => {
    await t?.close();
    await dns?.close();
  });

  async function template(body: Record<string, unknown>): Promise<string> {
    const res = await t.request('POST', '/api/v1/templates', { body: { name: 'T', ...body } });
    expect(res.status, res.text).toBe(201);
    return res.body.id;
  }

  async function preflight(campaignId: string): Promise<Record<string, Check>> {
    const res = await t.request('GET', `/api/v1/campaigns/${campaignId}/preflight`);
    expect(res.status, res.text).toBe(200);
    // The existing fields stay.
    expect(res.body).toMatchObject({ audience: 2, coversAudience: true });
    return Object.fromEntries((res.body.checks as Check[]).map((c) => [c.id, c]));
  }

  it('passes every check of a clean campaign from an authenticated sender', async () => {
    const senderId = await createSender(t, 2525, {
      fromEmail: 'news@garden.example.com',
      dkimDomain: 'garden.example.com',
      dkimSelector: 'hd1',
      dkimGenerate: true,
    });
    const publish = (await t.request('GET', `/api/v1/senders/${senderId}/dns`)).body;
    dns.zone.set('garden.example.com', [publish.spf.value]);
    dns.zone.set(publish.dkim.name, [publish.dkim.value]);
    dns.zone.set(publish.dmarc.name, [publish.dmarc.value]);
    const templateId = await template({
      subject: 'The spring catalogue is here',
      preheader: 'Forty new tools and a tomato guide',
      body: CLEAN_BODY,
    });
    const campaignId = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });

    const checks = await preflight(campaignId);
    expect(Object.keys(checks).sort()).toEqual(
      [
        'authentication',
        'postal_address',
        'unsubscribe_link',
        'list_unsubscribe_headers',
        'postal_address_shown',
        'size',
        'text_part',
        'spam',
      ].sort(),
    );
    for (const c of Object.values(checks)) expect(c.status, `${c.id}: ${c.detail}`).toBe('pass');
    expect(checks.authentication.detail).toMatch(/SPF, DKIM and DMARC are published and align with From/);
    expect(checks.unsubscribe_link.detail).toMatch(/Herald adds a footer/);
    expect(checks.list_unsubscribe_headers.detail).toMatch(/covered by the DKIM signature/);
    expect(checks.size.detail).toMatch(/The HTML is \d+ KB/);
  });

  it('names what is wrong with a spammy campaign from an unauthenticated sender, with reasons', async () => {
    const senderId = await createSender(t, 2525, { fromEmail: 'deals@unknown-deals.example.com' });
    const templateId = await template({
      subject: 'ACT NOW: 100% FREE GIFT CARD!!',
      body: SPAMMY_BODY,
      // A footer of its own without the postal address.
      textBody: 'WINNER!!! Claim it: https://bit.ly/3xYzAbc\nUnsubscribe: {{unsubscribe_url}}',
    });
    // The HTML links to the unsubscribe page too, so the compiler adds no footer with the address.
    await t.request('PATCH', `/api/v1/templates/${templateId}`, {
      body: {
        body: SPAMMY_BODY.replace(
          'Click here</mj-text>',
          'Click here <a href="{{unsubscribe_url}}">stop</a></mj-text>',
        ),
      },
    });
    const campaignId = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });

    const checks = await preflight(campaignId);
    expect(checks.authentication.status).toBe('fail');
    expect(checks.authentication.detail).toMatch(/no SPF record/);
    expect(checks.authentication.detail).toMatch(/does not sign its mail with DKIM/);
    expect(checks.postal_address_shown).toMatchObject({ status: 'fail' });
    expect(checks.postal_address_shown.detail).toMatch(/\{\{sender\.address\}\}/);
    expect(checks.spam).toBeUndefined();
    expect(checks['spam.subject_all_caps']).toMatchObject({ status: 'fail', title: 'Subject in capitals' });
    expect(checks['spam.exclamation_marks'].status).toBe('fail');
    expect(checks['spam.trigger_phrases']).toMatchObject({ status: 'fail' });
    expect(checks['spam.trigger_phrases'].detail).toMatch(/"100% free", "act now", "free gift"/);
    expect(checks['spam.trigger_phrases'].detail).toMatch(/"click here", "winner"/);
    expect(checks['spam.url_shortener']).toMatchObject({ status: 'fail' });
    expect(checks['spam.url_shortener'].detail).toMatch(/bit\.ly/);
    expect(checks['spam.image_heavy'].status).toBe('warn');
    expect(checks['spam.missing_preheader'].status).toBe('warn');
    // What holds by construction still holds.
    expect(checks.list_unsubscribe_headers.status).toBe('pass');
    expect(checks.unsubscribe_link.status).toBe('pass');
    expect(checks.text_part.detail).toMatch(/hand-written/);
  });

  it('warns, not fails, when the DNS server does not answer, and fails a message Gmail would clip', async () => {
    const senderId = await createSender(t, 2525, {
      fromEmail: 'news@silent.example.com',
      dkimDomain: 'silent.example.com',
      dkimSelector: 'hd1',
      dkimGenerate: true,
    });
    dns.silent.add('silent.example.com');
    dns.silent.add('hd1._domainkey.silent.example.com');
    dns.silent.add('_dmarc.silent.example.com');
    dns.silent.add('_dmarc.example.com');
    const filler = Array.from(
      { length: 2500 },
      (_, i) => `<p>Paragraph ${i} about the garden and its seasons.</p>`,
    ).join('');
    const templateId = await template({
      subject: 'Everything about the garden',
      preheader: 'A long read',
      format: 'html',
      body: `<html><body>${filler}</body></html>`,
    });
    const campaignId = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });
    const checks = await preflight(campaignId);
    expect(checks.authentication.status).toBe('warn');
    expect(checks.authentication.detail).toMatch(/did not answer within 400 ms/);
    expect(checks.size.status, checks.size.detail).toBe('fail');
    expect(checks.size.detail).toMatch(/Gmail clips it above 102 KB/);
  });

  it('says the message cannot be checked without a template', async () => {
    const campaignId = await createCampaign(t, { audience: { listIds: [listId] } });
    const checks = await preflight(campaignId);
    expect(checks.content).toMatchObject({ status: 'fail' });
    expect(checks.content.detail).toMatch(/Choose a template/);
    // The default sandbox sender needs no DNS.
    expect(checks.authentication.status).toBe('pass');
  });
});
