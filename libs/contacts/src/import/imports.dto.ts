import { ID_PATTERN } from '@herald/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { CsvDelimiter, CsvEncoding } from './csv-format.js';
import type { UnknownColumns } from './mapping.js';

export const IMPORT_MODES = ['upsert', 'skip-existing'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];
export const IMPORT_STATUSES = ['queued', 'running', 'done', 'failed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** The text fields of the multipart upload (the file itself is the `file` part). */
export class CreateImportDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'The CSV file (UTF-8, UTF-16 or Windows-1252).' })
  @IsOptional()
  file?: unknown;

  @ApiPropertyOptional({ description: 'Add every imported contact to this list.', example: '42' })
  @IsOptional()
  @Matches(ID_PATTERN, { message: 'listId must be an id such as "42"' })
  listId?: string;

  @ApiPropertyOptional({
    description:
      'JSON object from CSV header to target: email, firstName, lastName, consentSource, consentAt, status, ' +
      'attributes.<field> or ignore. Unlisted headers of common exports (Mailchimp, Brevo, Excel) are recognised.',
    example: '{"E-Mail":"email","Vorname":"firstName","Plan":"attributes.plan"}',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100_000)
  mapping?: string;

  @ApiPropertyOptional({
    enum: IMPORT_MODES,
    default: 'upsert',
    description: 'upsert updates existing contacts; skip-existing leaves them untouched.',
  })
  @IsOptional()
  @IsIn(IMPORT_MODES)
  mode?: ImportMode;

  @ApiPropertyOptional({
    enum: ['ignore', 'attributes'],
    default: 'ignore',
    description:
      'What to do with columns that are neither mapped nor recognised: drop them, or store them as text attributes.',
  })
  @IsOptional()
  @IsIn(['ignore', 'attributes'])
  unknownColumns?: UnknownColumns;
}

export class ImportCreatedDto {
  @ApiProperty({ example: '7' })
  id: string;
}

export class ImportDto {
  @ApiProperty({ example: '7' })
  id: string;

  @ApiProperty({ enum: IMPORT_STATUSES })
  status: ImportStatus;

  @ApiProperty({ example: 'mailchimp-export.csv' })
  fileName: string;

  @ApiProperty({ example: 1048576 })
  sizeBytes: number;

  @ApiProperty({ enum: IMPORT_MODES })
  mode: ImportMode;

  @ApiProperty({ type: String, nullable: true })
  listId: string | null;

  @ApiProperty({ description: 'Data rows read so far (the header is not a row).' })
  rowsRead: number;

  @ApiProperty({ description: 'New contacts created.' })
  inserted: number;

  @ApiProperty({ description: 'Existing contacts updated (mode upsert), including later duplicates in the file.' })
  updated: number;

  @ApiProperty({
    description: 'Rows not applied: earlier duplicates within a batch, existing contacts in skip-existing.',
  })
  skipped: number;

  @ApiProperty({ description: 'Rows rejected; see errors.csv.' })
  failed: number;

  @ApiProperty({ minimum: 0, maximum: 1, description: 'Share of the file processed; 1 once done.' })
  progress: number;

  @ApiProperty({ type: String, nullable: true, description: 'Why the import failed as a whole.' })
  error: string | null;

  @ApiProperty()
  createdAt: string;

  @ApiProperty({ type: String, nullable: true })
  startedAt: string | null;

  @ApiProperty({ type: String, nullable: true })
  finishedAt: string | null;
}

export class ImportPageDto {
  @ApiProperty({ type: [ImportDto] })
  items: ImportDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}

/** The text fields of a preview upload (the file's beginning is the `file` part). */
export class PreviewImportDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description: 'The CSV file, or its first 64 KiB: a shorter part is read as the whole file.',
  })
  @IsOptional()
  file?: unknown;

  @ApiPropertyOptional({ enum: ['ignore', 'attributes'], default: 'ignore' })
  @IsOptional()
  @IsIn(['ignore', 'attributes'])
  unknownColumns?: UnknownColumns;
}

export class ImportColumnDto {
  @ApiProperty({ example: 'Email Address' })
  header: string;

  @ApiProperty({
    example: 'email',
    description: 'email, firstName, lastName, consentSource, consentAt, status, attributes.<field> or ignore',
  })
  target: string;
}

export class ImportPreviewDto {
  @ApiProperty({ enum: ['utf-8', 'utf-16le', 'utf-16be', 'windows-1252'] })
  encoding: CsvEncoding;

  @ApiProperty({ enum: [',', ';', '\t', '|'] })
  delimiter: CsvDelimiter;

  @ApiProperty({ type: [String] })
  header: string[];

  @ApiProperty({
    type: 'array',
    items: { type: 'array', items: { type: 'string' } },
    description: 'The first data rows (at most 10), cells as written',
  })
  rows: string[][];

  @ApiProperty({
    type: [ImportColumnDto],
    description: 'What an import without a mapping fills from each column, in header order',
  })
  columns: ImportColumnDto[];
}
