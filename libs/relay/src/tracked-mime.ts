import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { MessageTracking } from '@herald/auth';
import { addTracking, trackableLinks } from '@herald/templates';
import { Joiner, type MimeNode, Rewriter, Splitter } from '@zone-eu/mailsplit';
import { normaliseLineEnds } from './incoming.js';

/** What a relayed or API message asked for: the open pixel, and the links it tracks (null: links untouched). */
export interface StoredTracking {
  opens: boolean;
  links: string[] | null;
}

/**
 * The parts tracking rewrites: HTML shown as the message's body. An HTML
 * attachment is a file, not the message, and an attached message
 * (message/rfc822, left whole by `ignoreEmbedded`) is someone else's mail.
 */
const isBodyHtml = (node: MimeNode): boolean => node.contentType === 'text/html' && node.disposition !== 'attachment';

/**
 * Rewrites every HTML body part of a message with `rewrite` and keeps every
 * other byte: the header, the other parts and the boundaries stay as they
 * were (mailsplit, mailparser's own MIME splitter, splits and joins the
 * message). A rewritten part is decoded from its transfer encoding and
 * charset and written back as UTF-8, in base64 when it was base64 and
 * quoted-printable otherwise; a part whose charset Node cannot decode, or
 * whose bytes are not valid in it, is written back unchanged. Runs before
 * DKIM signs the message.
 */
export async function rewriteHtmlParts(raw: Buffer, rewrite: (html: string) => string): Promise<Buffer> {
  const rewriter = new Rewriter(isBodyHtml);
  rewriter.on('node', ({ node, decoder, encoder }) => {
    const chunks: Buffer[] = [];
    decoder.on('data', (chunk: Buffer) => chunks.push(chunk));
    decoder.on('error', (error) => encoder.destroy(error));
    decoder.on('end', () => {
      const bytes = Buffer.concat(chunks);
      const html = decode(bytes, node.charset || 'us-ascii');
      if (html === null) return void encoder.end(bytes);
      try {
        const rewritten = rewrite(html);
        if (node.charset === false || node.charset.toLowerCase() !== 'utf-8') node.setCharset('utf-8');
        encoder.end(Buffer.from(rewritten, 'utf8'));
      } catch (error) {
        encoder.destroy(error as Error);
      }
    });
  });
  const out: Buffer[] = [];
  await pipeline(
    Readable.from([raw]),
    new Splitter({ ignoreEmbedded: true }),
    rewriter,
    new Joiner(),
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        out.push(chunk);
        done();
      },
    }),
  );
  // The joiner ends a rewritten part with a bare LF; the relay sends CRLF only.
  return normaliseLineEnds(Buffer.concat(out));
}

/** `bytes` as text in `charset`; null when Node does not know the charset or the bytes are not valid in it. */
function decode(bytes: Buffer, charset: string): string | null {
  try {
    // US-ASCII is a subset of UTF-8; WHATWG decoders read the "us-ascii" label as windows-1252.
    const label = /^(us-)?ascii$/i.test(charset) ? 'utf-8' : charset;
    return new TextDecoder(label, { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/**
 * The links a message's click tracking takes: the http(s) links of its
 * HTML body parts, each once, in order, as templates choose them. A
 * message with more links than a template may have, or whose MIME cannot
 * be split, keeps its links as written (an empty list): tracking is never
 * a reason to refuse mail.
 */
export async function linksToTrack(raw: Buffer): Promise<string[]> {
  const links = new Set<string>();
  try {
    await rewriteHtmlParts(raw, (html) => {
      for (const url of trackableLinks(html)) links.add(url);
      return html;
    });
  } catch {
    return [];
  }
  return [...links];
}

/**
 * The message as one recipient gets it: its HTML body parts with the
 * stored links sent through `/t/c/<token>.<index>` and, when asked, the
 * open pixel, through the same `addTracking` and routes as campaign mail.
 */
export function trackedMessage(
  raw: Buffer,
  tracking: StoredTracking,
  publicUrl: string,
  token: string,
): Promise<Buffer> {
  const links = tracking.links ?? [];
  return rewriteHtmlParts(raw, (html) => addTracking(html, { publicUrl, token, links, opens: tracking.opens }));
}

/** What to store with a message sent with `wanted`: its links are taken now, once for all its recipients. */
export async function trackingFor(raw: Buffer, wanted: MessageTracking): Promise<StoredTracking> {
  return { opens: wanted.trackOpens, links: wanted.trackClicks ? await linksToTrack(raw) : null };
}

/** Whether a message needs rewriting at all. */
export const tracksAnything = (tracking: StoredTracking): boolean =>
  tracking.opens || (tracking.links !== null && tracking.links.length > 0);
