import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { linksToTrack, rewriteHtmlParts, trackedMessage } from './tracked-mime.js';

const TOKEN = 'AbCdEfGhIjKlMnOpQrStUv';
const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'latin1');

/** A client's message: Latin-1 HTML in quoted-printable beside plain text, and a forwarded message with an HTML body. */
const RAW = crlf([
  'From: app@example.com',
  'To: ada@example.com',
  'Subject: Hi',
  'X-Client: kept as is',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="outer"',
  '',
  '--outer',
  'Content-Type: multipart/alternative; boundary="alt"',
  '',
  '--alt',
  'Content-Type: text/plain; charset=us-ascii',
  '',
  'See https://shop.example.com/a',
  '--alt',
  'Content-Type: text/html; charset=iso-8859-1',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  '<html><body><p>Gr=FC=DFe <a href=3D"https://shop.example.com/a">shop</a></p></body></html>',
  '--alt--',
  '--outer',
  'Content-Type: message/rfc822',
  '',
  'From: someone@example.org',
  'Subject: forwarded',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<a href="https://forwarded.example.org/">theirs</a>',
  '--outer--',
  '',
]);

describe('tracking relayed MIME', () => {
  it('rewrites the HTML body part only, as UTF-8, and keeps the header, the text part and a forwarded message', async () => {
    expect(await linksToTrack(RAW)).toEqual(['https://shop.example.com/a']);
    const out = await trackedMessage(
      RAW,
      { opens: true, links: ['https://shop.example.com/a'] },
      'https://herald.example',
      TOKEN,
    );
    const text = out.toString('latin1');
    expect(text).not.toMatch(/(?<!\r)\n|\r(?!\n)/);
    expect(text.split('\r\n\r\n')[0]).toBe(RAW.toString('latin1').split('\r\n\r\n')[0]);
    const parsed = await simpleParser(out);
    expect(parsed.html).toContain(`<p>Grüße <a href="https://herald.example/t/c/${TOKEN}.0">shop</a></p>`);
    expect(parsed.html).toContain(`<img src="https://herald.example/t/o/${TOKEN}"`);
    expect(parsed.text?.trim()).toBe('See https://shop.example.com/a');
    expect(text).toContain('Content-Type: text/html; charset=utf-8');
    expect(text).toContain('<a href="https://forwarded.example.org/">theirs</a>');
  });

  it('leaves a message without HTML, and an HTML part in a charset Node does not know, as they were', async () => {
    const plain = crlf(['From: a@example.com', 'Subject: x', '', 'https://shop.example.com/', '']);
    expect(await rewriteHtmlParts(plain, () => 'changed')).toEqual(plain);
    const unknown = crlf([
      'From: a@example.com',
      'Content-Type: text/html; charset=x-unheard-of',
      '',
      '<a href="https://shop.example.com/">x</a>',
      '',
    ]);
    const parsed = await simpleParser(await rewriteHtmlParts(unknown, () => 'changed'));
    expect(parsed.html).toContain('<a href="https://shop.example.com/">x</a>');
  });
});
