import { describe, expect, it } from 'vitest';
import { singleBinaryField } from './copy-binary.js';

const header = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

describe('singleBinaryField', () => {
  it('returns the bytes of the one field, zero bytes included', () => {
    const data = Buffer.from([0, 1, 2, 255, 0x2d, 0x2d]);
    const output = Buffer.concat([header, int16(1), int32(data.length), data, int16(-1)]);
    expect(singleBinaryField(output)?.equals(data)).toBe(true);
  });

  it('skips a header extension', () => {
    const withExtension = Buffer.concat([header.subarray(0, 15), int32(3), Buffer.from('abc')]);
    const output = Buffer.concat([withExtension, int16(1), int32(2), Buffer.from('hi'), int16(-1)]);
    expect(singleBinaryField(output)?.toString()).toBe('hi');
  });

  it('is undefined when no row matched, or the field is NULL', () => {
    expect(singleBinaryField(Buffer.concat([header, int16(-1)]))).toBeUndefined();
    expect(singleBinaryField(Buffer.concat([header, int16(1), int32(-1), int16(-1)]))).toBeUndefined();
  });

  it('refuses other shapes and cut-off output', () => {
    expect(() => singleBinaryField(Buffer.from('email,name\n'))).toThrow(/not a binary COPY/);
    expect(() => singleBinaryField(Buffer.concat([header, int16(2), int32(0), int32(0), int16(-1)]))).toThrow(
      /one field/,
    );
    expect(() => singleBinaryField(Buffer.concat([header, int16(1), int32(10), Buffer.from('short')]))).toThrow(
      /single row/,
    );
    const twoRows = Buffer.concat([header, int16(1), int32(1), Buffer.from('a'), int16(1), int32(1), Buffer.from('b')]);
    expect(() => singleBinaryField(Buffer.concat([twoRows, int16(-1)]))).toThrow(/single row/);
  });
});
