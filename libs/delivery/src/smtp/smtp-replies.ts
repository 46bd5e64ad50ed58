import type { SMTPServerDataStream } from 'smtp-server';

/** An error smtp-server answers with: its `responseCode` and message become the reply. */
export type SmtpReplyError = Error & { responseCode?: number };

/** A reply with its enhanced status code (RFC 3463), e.g. `smtpReply(550, '5.7.1', 'Relaying denied')`. */
export const smtpReply = (code: number, enhanced: string, message: string): SmtpReplyError =>
  Object.assign(new Error(`${enhanced} ${message}`), { responseCode: code });

/**
 * A message's data as one buffer, or a 552 when it is larger than
 * `maxBytes`. Past the limit the rest is read and dropped, so the client
 * is still reading replies when the 552 comes at the end of the data.
 */
export async function readMessageData(stream: SMTPServerDataStream, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    stream.once('end', resolve);
    stream.once('error', reject);
  });
  if (stream.sizeExceeded || size > maxBytes) {
    throw smtpReply(552, '5.3.4', `Message size exceeds the limit of ${maxBytes} bytes`);
  }
  return Buffer.concat(chunks);
}
