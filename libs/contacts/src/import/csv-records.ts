import { parse } from 'csv-parse';
import iconv from 'iconv-lite';
import { finished } from 'node:stream/promises';
import { type CsvDelimiter, type CsvEncoding, parserOptions } from './csv-format.js';

/** How the stored file is written, as the upload's inspection found it. */
export interface CsvFormat {
  encoding: CsvEncoding;
  delimiter: CsvDelimiter;
}

/** Bytes handed to the parser at a time: the caller looks at its batches this often. */
const SLICE_BYTES = 64 * 1024;

/**
 * Parses a CSV byte stream and hands each record to `take` as csv-parse
 * emits it, within the write of its slice (awaiting each record cost a
 * promise per row). After each 64 KiB slice it yields the bytes read so
 * far, so the caller sends the batches that filled up before reading on,
 * and the source waits while the database is busy. UTF-8 goes to csv-parse
 * as bytes; other encodings through their decoder.
 */
export async function* feedRecords(
  source: AsyncIterable<Buffer>,
  format: CsvFormat,
  take: (record: string[]) => void,
): AsyncGenerator<number> {
  let failure: unknown;
  const parser = parse({ ...parserOptions(format.delimiter), bom: format.encoding === 'utf-8' });
  parser.on('error', (error) => (failure ??= error));
  // Flowing: each record reaches `take` as the parser pushes it, inside write().
  parser.on('data', take);
  const decoder = format.encoding === 'utf-8' ? undefined : iconv.getDecoder(format.encoding);
  let bytesRead = 0;
  try {
    for await (const chunk of source) {
      for (let start = 0; start < chunk.length; start += SLICE_BYTES) {
        const slice = chunk.subarray(start, start + SLICE_BYTES);
        bytesRead += slice.length;
        const data = decoder ? decoder.write(slice) : slice;
        if (data.length > 0) parser.write(data);
        if (failure !== undefined) throw failure;
        yield bytesRead;
      }
    }
    const rest = decoder?.end();
    if (rest) parser.write(rest);
    parser.end();
    await finished(parser);
    if (failure !== undefined) throw failure;
  } finally {
    parser.destroy();
  }
}
