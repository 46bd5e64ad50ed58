const HEX = Buffer.from('0123456789ABCDEF');
const CR = 0x0d;
const LF = 0x0a;
const EQ = 0x3d;
const DOT = 0x2e;
/** Encoded characters per line before the soft break `=` (RFC 2045: at most 76 with it). */
const LINE = 75;

/**
 * Quoted-printable (RFC 2045) of UTF-8 text. Line breaks (LF or CRLF) become
 * CRLF hard breaks; a lone CR is escaped. Besides what the RFC requires, a
 * `.` starting a line is escaped so that no relay's dot handling can touch
 * the body, and `=` is always followed by two hex digits or a line end, which
 * is what keeps `=_` boundaries out of any encoded content.
 */
export function encodeQuotedPrintable(input: string): Buffer {
  const src = Buffer.from(input, 'utf8');
  // Worst case: every byte escaped (3) plus a soft break (3) every 25 bytes.
  const out = Buffer.allocUnsafe(src.length * 4 + 8);
  let o = 0;
  let line = 0;
  for (let i = 0; i < src.length; i += 1) {
    const b = src[i];
    if (b === LF || (b === CR && src[i + 1] === LF)) {
      if (b === CR) i += 1;
      out[o++] = CR;
      out[o++] = LF;
      line = 0;
      continue;
    }
    let literal = b >= 33 && b <= 126 && b !== EQ;
    if (b === 0x20 || b === 0x09) {
      // Whitespace before a line end would be stripped in transit.
      const next = src[i + 1];
      literal = !(next === undefined || next === LF || (next === CR && src[i + 2] === LF));
    }
    let width = literal ? 1 : 3;
    if (line + width > LINE) {
      out[o++] = EQ;
      out[o++] = CR;
      out[o++] = LF;
      line = 0;
    }
    if (b === DOT && line === 0) {
      literal = false;
      width = 3;
    }
    if (literal) {
      out[o++] = b;
    } else {
      out[o++] = EQ;
      out[o++] = HEX[b >> 4];
      out[o++] = HEX[b & 15];
    }
    line += width;
  }
  return out.subarray(0, o);
}
