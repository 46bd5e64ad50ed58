/** What every `COPY ... (FORMAT binary)` output starts with. */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * The one field of the one row of a `COPY ... TO STDOUT (FORMAT binary)`
 * output, or undefined when the query matched no row (or the field is
 * NULL). Anything else (another shape, a cut-off output) is an error: the
 * caller asked for a single column of a single row.
 */
export function singleBinaryField(output: Buffer): Buffer | undefined {
  if (output.length < SIGNATURE.length + 8 || !output.subarray(0, SIGNATURE.length).equals(SIGNATURE)) {
    throw new Error('not a binary COPY output');
  }
  // Flags (4 bytes), then the header extension's length and the extension itself.
  let at = SIGNATURE.length + 4;
  at += 4 + output.readUInt32BE(at);
  const fields = output.readInt16BE(at);
  at += 2;
  if (fields === -1) return undefined;
  if (fields !== 1) throw new Error(`expected one field in binary COPY output, got ${fields}`);
  const length = output.readInt32BE(at);
  at += 4;
  if (length === -1) return undefined;
  const end = at + length;
  if (end + 2 > output.length || output.readInt16BE(end) !== -1) {
    throw new Error('binary COPY output is not a single row');
  }
  return output.subarray(at, end);
}
