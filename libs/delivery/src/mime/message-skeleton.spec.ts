import { generateKeyPairSync } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { describe, expect, it } from 'vitest';
import {
  MessageSkeleton,
  parseVerp,
  type RecipientParts,
  type SkeletonOptions,
  verpAddress,
} from './message-skeleton.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const DKIM = {
  domain: 'news.example.org',
  selector: 'herald1',
  privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
};
const DNS_RECORD = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;

const options = (over: Partial<SkeletonOptions> = {}): SkeletonOptions => ({
  from: { email: 'hello@news.example.org', name: 'Ünïcode News' },
  replyTo: 'support@example.org',
  domain: 'news.example.org',
  feedbackId: '12:3:campaign:herald',
  dkim: DKIM,
  ...over,
});

const parts = (over: Partial<RecipientParts> = {}): RecipientParts => ({
  messageId: '981',
  token: 'AbC-d_efGhIjKlMnOpQrSg',
  to: 'jane.doe@example.com',
  toName: 'Jane Doe',
  subject: 'Hello',
  html: '<p>Hi</p>',
  text: 'Hi',
  unsubscribeUrl: 'https://mail.example.org/u/AbC-d_efGhIjKlMnOpQrSg',
  ...over,
});

async function verify(raw: Buffer, record = DNS_RECORD) {
  const resolver = async (name: string, type: string) => {
    if (type === 'TXT' && name === `${DKIM.selector}._domainkey.${DKIM.domain}`) return [[record]];
    const error = new Error(`no ${type} record for ${name}`) as Error & { code: string };
    error.code = 'ENOTFOUND';
    throw error;
  };
  const result = await dkimVerify(raw, { resolver });
  return result.results;
}

const headerBlock = (raw: Buffer) => raw.toString('utf8').split('\r\n\r\n')[0];

describe('MessageSkeleton', () => {
  it('builds the headers every marketing message carries, with a deterministic Message-ID', () => {
    const skeleton = new MessageSkeleton(options({ dkim: null }));
    const raw = skeleton.build(parts(), new Date('2026-03-01T10:00:00Z'));
    const head = headerBlock(raw);
    expect(head).toContain('From: =?UTF-8?B?');
    expect(head).toContain('To: "Jane Doe" <jane.doe@example.com>');
    expect(head).toContain('Subject: Hello');
    expect(head).toContain('Date: Sun, 01 Mar 2026 10:00:00 +0000');
    expect(head).toContain('Message-ID: <m981.AbC-d_efGhIjKlMnOpQrSg@news.example.org>');
    expect(head).toContain('Reply-To: <support@example.org>');
    expect(head).toContain(
      'List-Unsubscribe: <https://mail.example.org/u/AbC-d_efGhIjKlMnOpQrSg>,\r\n <mailto:unsubscribe+01b0be77f79f1a12232a53273a942b4a@news.example.org>',
    );
    expect(head).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(head).toContain('Feedback-ID: 12:3:campaign:herald');
    expect(head).toContain('MIME-Version: 1.0');
    expect(head).toMatch(/Content-Type: multipart\/alternative;\r\n boundary="=_herald_[0-9a-f]{24}"/);
    expect(head).not.toContain('DKIM-Signature');
    expect(skeleton.returnPath('AbC-d_efGhIjKlMnOpQrSg')).toBe(
      'bounce+01b0be77f79f1a12232a53273a942b4a@news.example.org',
    );
    // Every line ends in CRLF, none is longer than RFC 5322 allows.
    const text = raw.toString('utf8');
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(Math.max(...text.split('\r\n').map((l) => l.length))).toBeLessThanOrEqual(998);
  });

  it('leaves the list headers out of a message that is no list mail, names its kind in the Message-ID, and still signs it', async () => {
    const skeleton = new MessageSkeleton(options({ idPrefix: 's', feedbackId: '7:3:signup:herald' }));
    const raw = skeleton.build(parts({ unsubscribeUrl: undefined }), new Date('2026-03-01T10:00:00Z'));
    const head = headerBlock(raw);
    expect(head).not.toMatch(/^List-Unsubscribe/im);
    expect(head).toContain('Message-ID: <s981.AbC-d_efGhIjKlMnOpQrSg@news.example.org>');
    expect(head).toMatch(/h=from:to:subject:date:message-id:reply-to:feedback-id:mime-version:content-type;/);
    expect((await verify(raw))[0].status.result).toBe('pass');
    expect(() => new MessageSkeleton(options({ idPrefix: 'x@y' }))).toThrow(/Message-ID prefix/);
  });

  it('round-trips subject, names, html and text exactly through a MIME parser', async () => {
    const html =
      '<html><body>\n' +
      `<p style="color:#333">Grüße, ${'ü'.repeat(200)} 日本語 🎉 a=b ==3D =\n` +
      '.starts with a dot\n' +
      '..two dots\n' +
      'trailing space \n' +
      'tab\tinside\t\n' +
      `${'x'.repeat(5000)}\n` +
      `${'=?utf-8?q?not_an_encoded_word?='}</p>\n</body></html>`;
    const text = '.\nLine one\n\nMit Umlauten: äöü 🎉\n.\n= equals =\nend with spaces   ';
    const subject = `Grüße 🎉 ${'long subject words '.repeat(10)}=?x?= end`;
    const skeleton = new MessageSkeleton(options());
    const raw = skeleton.build(parts({ subject, html, text, toName: 'Zoë “Q” Müller' }));
    const mail = await simpleParser(raw);
    expect(mail.subject).toBe(subject);
    expect(mail.html).toBe(html);
    expect(mail.text).toBe(text);
    expect(mail.to && !Array.isArray(mail.to) && mail.to.value[0]).toEqual({
      address: 'jane.doe@example.com',
      name: 'Zoë “Q” Müller',
    });
    expect(mail.from?.value[0]).toEqual({ address: 'hello@news.example.org', name: 'Ünïcode News' });
    expect(mail.messageId).toBe('<m981.AbC-d_efGhIjKlMnOpQrSg@news.example.org>');
    // No body line starts with a dot; no line is longer than quoted-printable allows.
    const body = raw.toString('utf8').split('\r\n\r\n').slice(1).join('\r\n\r\n');
    for (const line of body.split('\r\n')) {
      expect(line.startsWith('.')).toBe(false);
      expect(line.length).toBeLessThanOrEqual(76);
    }
  });

  it('folds a long ASCII subject and unfolds it to the same text', async () => {
    const subject = Array.from({ length: 30 }, (_, i) => `word${i}`).join('  ') + ' x';
    const raw = new MessageSkeleton(options({ dkim: null })).build(parts({ subject }));
    expect(headerBlock(raw)).toMatch(/^Subject: word0 {2}word1/m);
    expect((await simpleParser(raw)).subject).toBe(subject);
  });

  it('removes CR, LF and other controls from names and subjects: no header can be injected', async () => {
    const evil = 'Hi\r\nBcc: x@evil.test\r\n\r\nbody';
    const raw = new MessageSkeleton(options({ from: { email: 'hello@news.example.org', name: `News${evil}` } })).build(
      parts({ subject: `Sale${evil}\u0000\u0007`, toName: `Jane${evil}` }),
    );
    const head = headerBlock(raw);
    expect(head).not.toMatch(/^Bcc:/im);
    const mail = await simpleParser(raw);
    expect(mail.headers.has('bcc')).toBe(false);
    expect(mail.bcc).toBeUndefined();
    expect(mail.subject).toBe('SaleHiBcc: x@evil.testbody');
    expect(mail.to && !Array.isArray(mail.to) && mail.to.value).toEqual([
      { address: 'jane.doe@example.com', name: 'JaneHiBcc: x@evil.testbody' },
    ]);
    expect(mail.text).toBe('Hi');
  });

  it('refuses a recipient address, token or unsubscribe URL that could break a header', () => {
    const skeleton = new MessageSkeleton(options({ dkim: null }));
    expect(() => skeleton.build(parts({ to: 'jane@example.com\r\nBcc: x@evil.test' }))).toThrow(/recipient/);
    expect(() => skeleton.build(parts({ to: 'Jane <jane@example.com>' }))).toThrow(/recipient/);
    expect(() => skeleton.build(parts({ to: 'no-at-sign' }))).toThrow(/recipient/);
    expect(() => skeleton.build(parts({ token: 'a>b' }))).toThrow(/token/);
    expect(() => skeleton.build(parts({ messageId: '1 2' }))).toThrow(/message id/);
    expect(() => skeleton.build(parts({ unsubscribeUrl: 'https://x.example/u/a>, <mailto:x@evil.test' }))).toThrow(
      /unsubscribe/,
    );
    expect(() => skeleton.returnPath('a@b')).toThrow(/token/);
    // Only a message token has a VERP form: 16 bytes in their one base64url spelling.
    expect(() => skeleton.returnPath('AbC-d_efGhIjKlMnOpQrSt')).toThrow(/token/);
    expect(() => skeleton.returnPath('AbC')).toThrow(/token/);
  });

  it('signs with DKIM (rsa-sha256, relaxed/relaxed) over the required headers, verified by mailauth', async () => {
    const skeleton = new MessageSkeleton(options());
    const raw = skeleton.build(
      parts({ subject: 'Grüße 🎉  double  spaces', html: '<p>a  b\t c  </p>\n'.repeat(300), text: 'x  \n\n\n' }),
    );
    const head = headerBlock(raw);
    expect(head.startsWith('DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=news.example.org;')).toBe(true);
    const signed = /h=([^;]+);/.exec(head.replace(/\r\n /g, ' '))?.[1].split(':');
    expect(signed).toEqual(
      expect.arrayContaining([
        'from',
        'to',
        'subject',
        'date',
        'message-id',
        'list-unsubscribe',
        'list-unsubscribe-post',
        'mime-version',
        'content-type',
        'reply-to',
        'feedback-id',
      ]),
    );
    const results = await verify(raw);
    expect(results).toHaveLength(1);
    expect(results[0].status.result).toBe('pass');
    expect(results[0].signingDomain).toBe('news.example.org');
  });

  it('signs each message on its own: every one verifies, and a changed body or header fails', async () => {
    const skeleton = new MessageSkeleton(options({ replyTo: null }));
    for (const id of ['1', '2', '3']) {
      const raw = skeleton.build(parts({ messageId: id, to: `r${id}@example.com`, html: `<p>${id}</p>` }));
      expect((await verify(raw))[0].status.result).toBe('pass');
    }
    const raw = skeleton.build(parts()).toString('utf8');
    const changedBody = Buffer.from(raw.replace('<p>Hi</p>', '<p>Ho</p>'));
    // mailauth reports a body hash mismatch as neutral ("body hash did not verify"): anything but pass.
    expect((await verify(changedBody))[0].status.result).not.toBe('pass');
    const changedSubject = Buffer.from(raw.replace('Subject: Hello', 'Subject: Hellp'));
    expect((await verify(changedSubject))[0].status.result).toBe('fail');
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const wrongRecord = `v=DKIM1; k=rsa; p=${otherKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
    expect((await verify(Buffer.from(raw), wrongRecord))[0].status.result).toBe('fail');
  });

  it('uses a boundary of its own per skeleton, which encoded content cannot contain', () => {
    const a = new MessageSkeleton(options({ dkim: null }));
    const b = new MessageSkeleton(options({ dkim: null }));
    const boundaryOf = (raw: Buffer) => /boundary="([^"]+)"/.exec(raw.toString())?.[1] ?? '';
    const hostile = parts({ html: `--=_herald_${'0'.repeat(24)}\n--=_herald_`, text: '=_herald_ --=_' });
    const rawA = a.build(hostile);
    expect(boundaryOf(rawA)).not.toBe(boundaryOf(b.build(hostile)));
    const body = rawA.toString().split('\r\n\r\n').slice(1).join('\r\n\r\n');
    expect(body.split(boundaryOf(rawA)).length - 1).toBe(3);
    // The encoded parts, without the boundary lines (whose random hex may itself start with 0).
    expect(body.split(boundaryOf(rawA)).join('')).not.toContain('=_herald_0');
  });
});

describe('VERP addresses', () => {
  const token = 'AbC-d_efGhIjKlMnOpQrSg';

  it('give back the token from an address whose local part a server upper- or lower-cased', () => {
    const address = verpAddress('bounce', token, 'News.Example.org');
    expect(address).toBe('bounce+01b0be77f79f1a12232a53273a942b4a@News.Example.org');
    const expected = { kind: 'bounce', token, domain: 'news.example.org' };
    expect(parseVerp(address)).toEqual(expected);
    expect(parseVerp(address.toUpperCase())).toEqual(expected);
    expect(parseVerp(address.toLowerCase())).toEqual(expected);
    expect(parseVerp(` ${verpAddress('unsubscribe', token, 'news.example.org').toUpperCase()} `)).toEqual({
      ...expected,
      kind: 'unsubscribe',
    });
  });

  it('still read the base64url tokens of mail sent before, case kept', () => {
    expect(parseVerp(`bounce+${token}@news.example.org`)).toEqual({
      kind: 'bounce',
      token,
      domain: 'news.example.org',
    });
    // Case-folded, such a token is another token, which will not verify; the address is still one of Herald's.
    expect(parseVerp(`BOUNCE+${token.toUpperCase()}@news.example.org`)?.token).toBe(token.toUpperCase());
    expect(parseVerp('bounce@news.example.org')).toBeNull();
    expect(parseVerp('bounce+a b@news.example.org')).toBeNull();
  });
});
