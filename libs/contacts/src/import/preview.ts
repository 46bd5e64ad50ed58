import { invalid } from '@herald/common';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import {
  type CsvDelimiter,
  type CsvEncoding,
  detectDelimiter,
  detectEncoding,
  looksBinary,
  parserOptions,
} from './csv-format.js';
import { assignColumns, type MappingTarget, type UnknownColumns } from './mapping.js';

/** Data rows a preview shows: enough to recognise the columns, few enough to read at a glance. */
export const PREVIEW_ROWS = 10;

export interface CsvPreview {
  encoding: CsvEncoding;
  delimiter: CsvDelimiter;
  header: string[];
  /** The first data rows, cells as written. */
  rows: string[][];
  /** What an import without a mapping would fill from each column, in header order. */
  columns: { header: string; target: MappingTarget }[];
}

/**
 * Reads the start of a CSV file as an import would: the same encoding,
 * delimiter and header detection, and the same column recognition, without
 * storing anything. `complete` is false when `sample` is only the file's
 * beginning; its last, possibly cut, line is then left out.
 */
export function previewCsv(sample: Buffer, complete: boolean, unknownColumns: UnknownColumns): CsvPreview {
  if (sample.length === 0) throw invalid('The file is empty', { file: 'the file is empty' });
  const encoding = detectEncoding(sample, complete);
  let text = iconv.decode(sample, encoding);
  if (looksBinary(text)) {
    throw invalid('The file is not a CSV text file', { file: 'the file is not a CSV text file (it looks binary)' });
  }
  if (!complete) {
    const end = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
    if (end < 0) throw invalid('The header row is too long', { file: 'the header row does not end in the sample' });
    text = text.slice(0, end);
  }
  const delimiter = detectDelimiter(text);
  let records: string[][];
  try {
    records = parse(text, { ...parserOptions(delimiter), to: PREVIEW_ROWS + 1 }) as string[][];
  } catch (error) {
    const reason = `the file cannot be read as CSV: ${(error as Error).message}`;
    throw invalid(`The file cannot be imported: ${reason}`, { file: reason });
  }
  const header = (records[0] ?? []).map((h) => h.trim());
  if (header.every((h) => h === '')) throw invalid('The file has no header row', { file: 'no header row' });
  const plan = assignColumns(header, {}, unknownColumns);
  const columns = header.map((name, index) => {
    const column = plan.find((c) => c.index === index);
    const target: MappingTarget =
      column === undefined ? 'ignore' : column.target === 'attribute' ? `attributes.${column.field}` : column.target;
    return { header: name, target };
  });
  return { encoding, delimiter, header, rows: records.slice(1), columns };
}
