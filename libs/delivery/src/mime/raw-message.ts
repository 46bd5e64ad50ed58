const CRLF_CRLF = Buffer.from('\r\n\r\n');

/** A message as its header fields (each without its line end, folding kept) and its body. */
export interface RawParts {
  fields: string[];
  body: Buffer;
}

/**
 * Splits a CRLF message into its header fields and its body. A field starts
 * on a line that does not begin with a space or tab; a line without a colon
 * before its first whitespace is no field, and the message is refused (null).
 */
export function splitMessage(raw: Buffer): RawParts | null {
  const end = raw.indexOf(CRLF_CRLF);
  const head = (end === -1 ? raw : raw.subarray(0, end)).toString('latin1');
  const body = end === -1 ? Buffer.alloc(0) : raw.subarray(end + 4);
  const fields: string[] = [];
  for (const line of head.split('\r\n')) {
    if (line.length === 0) continue;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (fields.length === 0) return null;
      fields[fields.length - 1] += `\r\n${line}`;
    } else {
      if (!/^[\x21-\x39\x3b-\x7e]+:/.test(line)) return null;
      fields.push(line);
    }
  }
  return { fields, body };
}

/** A field's name, lower-case. */
export const fieldName = (field: string) => field.slice(0, field.indexOf(':')).trim().toLowerCase();

/** A field's value, unfolded, without surrounding whitespace. */
export const fieldValue = (field: string) =>
  field
    .slice(field.indexOf(':') + 1)
    .replace(/\r\n/g, '')
    .trim();

/** The message again from fields and body: CRLF line ends, one empty line between. */
export const joinMessage = (fields: string[], body: Buffer): Buffer =>
  Buffer.concat([Buffer.from(`${fields.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
