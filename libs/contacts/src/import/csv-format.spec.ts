import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { CsvInspector, detectDelimiter, detectEncoding, MAX_RECORD_CHARS } from './csv-format.js';

function inspect(bytes: Buffer, chunkSize = 7) {
  const inspector = new CsvInspector();
  for (let i = 0; i < bytes.length; i += chunkSize) inspector.write(bytes.subarray(i, i + chunkSize));
  return inspector.finish();
}

describe('detectEncoding', () => {
  it('reads byte order marks', () => {
    expect(detectEncoding(Buffer.from([0xef, 0xbb, 0xbf, 0x61]), true)).toBe('utf-8');
    expect(detectEncoding(Buffer.from([0xff, 0xfe, 0x61, 0]), true)).toBe('utf-16le');
    expect(detectEncoding(Buffer.from([0xfe, 0xff, 0, 0x61]), true)).toBe('utf-16be');
  });

  it('tells UTF-8 from Windows-1252, even with a character cut at the end of the sample', () => {
    const utf8 = Buffer.from('name\nJosé Zoë', 'utf8');
    expect(detectEncoding(utf8, true)).toBe('utf-8');
    expect(detectEncoding(utf8.subarray(0, utf8.length - 1), false)).toBe('utf-8');
    expect(detectEncoding(iconv.encode('name\nJosé', 'windows-1252'), true)).toBe('windows-1252');
  });
});

describe('detectDelimiter', () => {
  it.each([
    ['email,first,last', ','],
    ['EMAIL;FIRSTNAME;LASTNAME;SMS', ';'],
    ['E-Mail\tVorname', '\t'],
    ['email|name', '|'],
    ['"a;b;c",email,name\n', ','],
    ['email', ','],
  ])('%j → %j', (text, expected) => {
    expect(detectDelimiter(text)).toBe(expected);
  });
});

describe('CsvInspector', () => {
  it('finds encoding, delimiter, header and data rows across chunk edges', () => {
    const text = '\ufeffE-Mail\tVorname\r\njürgen@example.com\t"Jürgen\r\nMulti"\r\n\r\nann@example.com\tAnn\r\n';
    const result = inspect(iconv.encode(text, 'utf-16le', { addBOM: false }));
    expect(result).toMatchObject({ encoding: 'utf-16le', delimiter: '\t', header: ['E-Mail', 'Vorname'], rows: 2 });
    expect(result.problem).toBeUndefined();
  });

  it('rejects empty, binary and header-only input', () => {
    expect(inspect(Buffer.alloc(0)).problem?.reason).toMatch(/empty/);
    expect(inspect(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 1, 2, 3])).problem?.reason).toMatch(/binary/);
    expect(inspect(Buffer.from('email\n')).rows).toBe(0);
  });

  it('names the row of a runaway field and of a quote never closed', () => {
    const huge = Buffer.from(`email,note\na@example.com,ok\nb@example.com,"${'x'.repeat(MAX_RECORD_CHARS + 10)}"\n`);
    expect(inspect(huge, 65536).problem).toMatchObject({ row: 2 });
    expect(inspect(Buffer.from('email,note\na@example.com,"open\nb@example.com,x\n')).problem?.reason).toMatch(
      /never closed/,
    );
  });

  it('keeps escaped quotes inside quoted fields', () => {
    const result = inspect(Buffer.from('email,note\na@example.com,"say ""hi"", ok"\nb@example.com,x\n'));
    expect(result.rows).toBe(2);
    expect(result.problem).toBeUndefined();
  });
});
