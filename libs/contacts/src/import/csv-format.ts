import iconv from 'iconv-lite';
import { parse } from 'csv-parse/sync';

/**
 * How a CSV file is written: what the upload inspector finds in its first
 * bytes and what the import job later reads it with. Detection looks only at
 * a sample so that it costs the same for a 1 KB and a 1 GB file.
 */
export type CsvEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';
export type CsvDelimiter = ',' | ';' | '\t' | '|';

export const DELIMITERS: readonly CsvDelimiter[] = [',', ';', '\t', '|'];

/** Bytes looked at to detect the encoding, the delimiter and the header. */
export const SNIFF_BYTES = 64 * 1024;

/**
 * A record longer than this (in characters) rejects the whole upload: no
 * real contact row is a megabyte long, it is an unclosed quote swallowing the
 * rest of the file or not a CSV at all.
 */
export const MAX_RECORD_CHARS = 1024 * 1024;

/** A single cell longer than this makes its row fail (the import goes on). */
export const MAX_FIELD_CHARS = 10_000;

/** Encoding from the byte order mark, else UTF-8 when the sample is valid UTF-8, else Windows-1252. */
export function detectEncoding(sample: Buffer, complete: boolean): CsvEncoding {
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return 'utf-8';
  if (sample[0] === 0xff && sample[1] === 0xfe) return 'utf-16le';
  if (sample[0] === 0xfe && sample[1] === 0xff) return 'utf-16be';
  // Without a BOM, UTF-16 still shows as a zero byte beside every ASCII character.
  if (sample.length >= 4 && sample[0] !== 0 && sample[1] === 0 && sample[2] !== 0 && sample[3] === 0) {
    return 'utf-16le';
  }
  if (sample.length >= 4 && sample[0] === 0 && sample[1] !== 0 && sample[2] === 0 && sample[3] !== 0) {
    return 'utf-16be';
  }
  const checked = complete ? sample : sample.subarray(0, completeUtf8Length(sample));
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(checked);
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}

/**
 * Length of `buf` without a multi-byte UTF-8 sequence cut at its end, so a
 * sample that stops mid-character is not mistaken for Windows-1252.
 */
function completeUtf8Length(buf: Buffer): number {
  const end = buf.length;
  for (let back = 1; back <= Math.min(3, end); back += 1) {
    const byte = buf[end - back];
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? end - back : end;
  }
  return end;
}

/**
 * The candidate that splits the header line into the most columns, counted
 * outside quotes. Ties go to the order of `DELIMITERS`; a one-column file is
 * comma-separated.
 */
export function detectDelimiter(text: string): CsvDelimiter {
  const counts = new Map<CsvDelimiter, number>(DELIMITERS.map((d) => [d, 0]));
  let inQuotes = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (ch === '\n' || ch === '\r')) break;
    else if (!inQuotes && counts.has(ch as CsvDelimiter)) {
      counts.set(ch as CsvDelimiter, (counts.get(ch as CsvDelimiter) ?? 0) + 1);
    }
  }
  let best: CsvDelimiter = ',';
  let bestCount = 0;
  for (const d of DELIMITERS) {
    const count = counts.get(d) ?? 0;
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

/** Share of control characters (other than tab, CR, LF, FF) above which a text is binary. */
const MAX_CONTROL_SHARE = 0.01;

/** True when decoded text looks like a binary file (images, archives, spreadsheets). */
export function looksBinary(text: string): boolean {
  if (text.includes('\u0000')) return true;
  let control = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) || c === 0xfffd) control += 1;
  }
  return text.length > 0 && control / text.length > MAX_CONTROL_SHARE;
}

/** Options shared by every csv-parse instance that reads an import file. */
export function parserOptions(delimiter: CsvDelimiter) {
  return {
    delimiter,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    trim: false,
    // Above the inspector's limit, so a file that passed inspection never trips it.
    max_record_size: MAX_RECORD_CHARS * 2,
  };
}

/** The first record of `text` (which must hold it entirely), as column names. */
export function parseHeader(text: string, delimiter: CsvDelimiter): string[] {
  const rows = parse(text, { ...parserOptions(delimiter), to_line: 1 }) as string[][];
  return (rows[0] ?? []).map((h) => h.trim());
}

export interface Inspection {
  encoding: CsvEncoding;
  delimiter: CsvDelimiter;
  header: string[];
  /** Data records seen (blank lines excluded). */
  rows: number;
  /** Why the file cannot be imported, with the data row at fault when there is one. */
  problem?: { reason: string; row?: number };
}

/**
 * Looks at an upload while it is written to disk: detects the encoding and
 * delimiter on the first 64 KiB, reads the header, then scans every character
 * for records so long that they can only be an unclosed quote or a binary
 * file. Memory stays at one sample whatever the file size.
 */
export class CsvInspector {
  private sample: Buffer[] = [];
  private sampleBytes = 0;
  private decoder: ReturnType<typeof iconv.getDecoder> | undefined;
  private result: Inspection | undefined;
  private inQuotes = false;
  private quoteMaybeClosed = false;
  private atFieldStart = true;
  private recordChars = 0;
  private headerDone = false;
  private dataRows = 0;

  write(chunk: Buffer): void {
    if (this.result?.problem) return;
    if (!this.decoder) {
      this.sample.push(chunk);
      this.sampleBytes += chunk.length;
      if (this.sampleBytes >= SNIFF_BYTES) this.start(false);
      return;
    }
    this.scan(this.decoder.write(chunk));
  }

  finish(): Inspection {
    if (!this.decoder) this.start(true);
    if (!this.result) throw new Error('inspection did not start');
    if (!this.result.problem && this.decoder) this.scan(this.decoder.end() ?? '');
    if (!this.result.problem) {
      if (this.recordChars > 0) this.endRecord();
      if (this.inQuotes && !this.quoteMaybeClosed) {
        this.result.problem = {
          reason: `a quoted field opened in row ${this.dataRows} is never closed`,
          row: this.dataRows,
        };
      }
    }
    this.result.rows = this.dataRows;
    return this.result;
  }

  private start(complete: boolean): void {
    const sample = Buffer.concat(this.sample);
    this.sample = [];
    if (sample.length === 0) {
      this.decoder = iconv.getDecoder('utf-8');
      this.result = {
        encoding: 'utf-8',
        delimiter: ',',
        header: [],
        rows: 0,
        problem: { reason: 'the file is empty' },
      };
      return;
    }
    const encoding = detectEncoding(sample, complete);
    this.decoder = iconv.getDecoder(encoding);
    const text = this.decoder.write(sample);
    const delimiter = detectDelimiter(text);
    this.result = { encoding, delimiter, header: [], rows: 0 };
    if (looksBinary(text)) {
      this.result.problem = { reason: 'the file is not a CSV text file (it looks binary)' };
      return;
    }
    const headerEnd = this.endOfFirstRecord(text);
    if (headerEnd === undefined && !complete) {
      this.result.problem = { reason: `the header row is longer than ${SNIFF_BYTES} bytes` };
      return;
    }
    const headerText = text.slice(0, headerEnd ?? text.length);
    if (headerText.trim() === '') {
      this.result.problem = { reason: 'the file has no header row' };
      return;
    }
    try {
      this.result.header = parseHeader(headerText, delimiter);
    } catch (error) {
      this.result.problem = { reason: `the header row cannot be read: ${(error as Error).message}` };
      return;
    }
    this.scan(text);
  }

  /** Index just past the line break that ends the first record, if the text holds it. */
  private endOfFirstRecord(text: string): number | undefined {
    let inQuotes = false;
    let sawContent = false;
    for (let i = 0; i < text.length; i += 1) {
      const ch = text[i];
      if (ch === '"') inQuotes = !inQuotes;
      else if (!inQuotes && (ch === '\n' || ch === '\r')) {
        if (sawContent) return i;
      } else sawContent = true;
    }
    return undefined;
  }

  /**
   * A quote-aware character scan: tracks the length of the current record and
   * counts records. `""` inside quotes is an escaped quote; a quote in the
   * middle of an unquoted field is a literal (as csv-parse's `relax_quotes`).
   */
  private scan(text: string): void {
    const result = this.result;
    if (!result || result.problem) return;
    const delimiter = result.delimiter;
    let { inQuotes, quoteMaybeClosed, atFieldStart, recordChars } = this;
    for (let i = 0; i < text.length; i += 1) {
      const ch = text[i];
      if (inQuotes) {
        if (quoteMaybeClosed) {
          if (ch === '"') {
            quoteMaybeClosed = false; // `""`: an escaped quote, still inside
            recordChars += 1;
            continue;
          }
          inQuotes = false;
          quoteMaybeClosed = false;
        } else {
          if (ch === '"') quoteMaybeClosed = true;
          recordChars += 1;
          if (recordChars > MAX_RECORD_CHARS) break;
          continue;
        }
      }
      if (ch === '\n' || ch === '\r') {
        this.recordChars = recordChars;
        if (recordChars > 0) this.endRecord();
        recordChars = 0;
        atFieldStart = true;
        continue;
      }
      if (ch === '"' && atFieldStart) inQuotes = true;
      atFieldStart = ch === delimiter;
      recordChars += 1;
      if (recordChars > MAX_RECORD_CHARS) break;
    }
    this.inQuotes = inQuotes;
    this.quoteMaybeClosed = quoteMaybeClosed;
    this.atFieldStart = atFieldStart;
    this.recordChars = recordChars;
    if (recordChars > MAX_RECORD_CHARS) {
      const row = this.headerDone ? this.dataRows + 1 : 0;
      result.problem = {
        reason:
          `${row === 0 ? 'the header row' : `row ${row}`} is longer than ${MAX_RECORD_CHARS} characters ` +
          `(a field of that size is usually a quote that is never closed)`,
        row: row === 0 ? undefined : row,
      };
    }
  }

  private endRecord(): void {
    if (this.headerDone) this.dataRows += 1;
    else this.headerDone = true;
    this.recordChars = 0;
  }
}
