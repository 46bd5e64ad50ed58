/** Control characters never reach a header from input: no CR/LF, so no injected header. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;

export function stripControls(value: string): string {
  return value.replace(CONTROL, '');
}

/** Bytes of UTF-8 per encoded word: 52 base64 characters, so a word stays within a 78-character line. */
const WORD_BYTES = 39;

/** RFC 2047 `B` encoded words joined by folding whitespace; code points are never split across words. */
export function encodedWords(value: string): string {
  const words: string[] = [];
  let chunk: Buffer[] = [];
  let size = 0;
  for (const char of value) {
    const bytes = Buffer.from(char, 'utf8');
    if (size + bytes.length > WORD_BYTES && size > 0) {
      words.push(`=?UTF-8?B?${Buffer.concat(chunk, size).toString('base64')}?=`);
      chunk = [];
      size = 0;
    }
    chunk.push(bytes);
    size += bytes.length;
  }
  if (size > 0) words.push(`=?UTF-8?B?${Buffer.concat(chunk, size).toString('base64')}?=`);
  return words.join('\r\n ');
}

/** Printable ASCII that no reader could take for an encoded word. */
const needsEncoding = (value: string) => /[^\x20-\x7e]/.test(value) || value.includes('=?');

/**
 * An unstructured header value (Subject): plain ASCII folded at spaces, or
 * encoded words. Unfolding restores the value exactly.
 */
export function unstructured(name: string, raw: string): string {
  const value = stripControls(raw);
  if (needsEncoding(value) || value.length > 900) return `${name}: ${encodedWords(value)}`;
  let line = `${name}:`;
  const lines: string[] = [];
  // Split before each space followed by a non-space, keeping the spaces with the word after them.
  for (const piece of ` ${value}`.split(/(?= +[^ ])/)) {
    if (line.length + piece.length > 78 && line.length > name.length + 1 && /^ +[^ ]/.test(piece)) {
      lines.push(line);
      line = piece;
    } else {
      line += piece;
    }
  }
  lines.push(line);
  return lines.join('\r\n');
}

/** `Name <address>`: the name quoted when ASCII, encoded words otherwise. The address is checked by the caller. */
export function mailbox(address: string, rawName: string | null | undefined): string {
  const name = rawName == null ? '' : stripControls(rawName).trim();
  if (name === '') return `<${address}>`;
  if (needsEncoding(name)) return `${encodedWords(name)} <${address}>`;
  return `"${name.replace(/[\\"]/g, '\\$&')}" <${address}>`;
}

/** An address fit for a header and an SMTP envelope: no controls, spaces or address specials, one `@`. */
export function isSafeAddress(address: string): boolean {
  // eslint-disable-next-line no-control-regex -- an address must hold none
  return /^[^\s\x00-\x1f\x7f<>()[\],;:"\\@]+@[^\s\x00-\x1f\x7f<>()[\],;:"\\@]+\.[^\s\x00-\x1f\x7f<>()[\],;:"\\@.]+$/.test(
    address,
  );
}
