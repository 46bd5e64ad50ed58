import { PageQueryDto } from '@herald/common';
import { ApiProperty, type ApiPropertyOptions, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import type { AttributeValue } from '../attributes.js';
import { CONTACT_STATUSES, type ContactStatus } from '../status.js';

export const ID_PATTERN = /^[1-9][0-9]{0,17}$/;
export const MAX_NAME_LENGTH = 200;

/**
 * Postgres text cannot hold U+0000: without this check such a string reaches
 * the database and comes back as a 500 instead of a 400 naming the field.
 */
// eslint-disable-next-line no-control-regex -- NUL is exactly what is refused
export const NoNul = () => Matches(/^[^\u0000]*$/, { message: '$property must not contain NUL characters' });

/** Present-but-null fails validation instead of being skipped as absent. */
const IfPresent = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

const ATTRIBUTES_SCHEMA: ApiPropertyOptions = {
  type: 'object',
  additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
  example: { plan: 'pro', seats: 5 },
};

/** As written: OpenAPI 3.0 puts `nullable` beside a `type`, so null rides on the string branch. */
const ATTRIBUTES_INPUT_SCHEMA: ApiPropertyOptions = {
  ...ATTRIBUTES_SCHEMA,
  additionalProperties: { oneOf: [{ type: 'string', nullable: true }, { type: 'number' }, { type: 'boolean' }] },
};

export class CreateContactDto {
  @ApiProperty({ example: 'jane.doe@example.com', maxLength: 320 })
  @IsString()
  @MaxLength(320)
  email: string;

  @ApiPropertyOptional({ type: String, example: 'Jane', maxLength: MAX_NAME_LENGTH, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME_LENGTH)
  @NoNul()
  firstName?: string | null;

  @ApiPropertyOptional({ type: String, example: 'Doe', maxLength: MAX_NAME_LENGTH, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME_LENGTH)
  @NoNul()
  lastName?: string | null;

  @ApiPropertyOptional({
    enum: CONTACT_STATUSES,
    default: 'subscribed',
    description: 'A suppressed address is never stored as subscribed; a non-subscribed status suppresses the address.',
  })
  @IfPresent()
  @IsIn(CONTACT_STATUSES)
  status?: ContactStatus;

  @ApiPropertyOptional({ ...ATTRIBUTES_INPUT_SCHEMA, description: 'Values for defined fields (GET /api/v1/fields).' })
  @IfPresent()
  @IsObject()
  attributes?: Record<string, unknown>;

  @ApiPropertyOptional({ type: String, example: 'signup form', maxLength: MAX_NAME_LENGTH, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME_LENGTH)
  @NoNul()
  consentSource?: string | null;

  @ApiPropertyOptional({ type: String, example: '2024-05-01T10:00:00Z', format: 'date-time', nullable: true })
  @IsOptional()
  @IsISO8601({ strict: true })
  consentAt?: string | null;

  @ApiPropertyOptional({ type: [String], example: ['3'], maxItems: 100, description: 'Lists to add the contact to' })
  @IfPresent()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(ID_PATTERN, { each: true, message: 'each of listIds must be an id such as "42"' })
  listIds?: string[];
}

export class UpdateContactDto {
  @ApiPropertyOptional({ example: 'jane.doe@example.com', maxLength: 320 })
  @IfPresent()
  @IsString()
  @MaxLength(320)
  email?: string;

  @ApiPropertyOptional({ type: String, maxLength: MAX_NAME_LENGTH, nullable: true, description: 'null clears it' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME_LENGTH)
  @NoNul()
  firstName?: string | null;

  @ApiPropertyOptional({ type: String, maxLength: MAX_NAME_LENGTH, nullable: true, description: 'null clears it' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME_LENGTH)
  @NoNul()
  lastName?: string | null;

  @ApiPropertyOptional({
    enum: CONTACT_STATUSES,
    description:
      'Unsubscribed, bounced or complained suppresses the address; back to subscribed is refused (409) while it is suppressed.',
  })
  @IfPresent()
  @IsIn(CONTACT_STATUSES)
  status?: ContactStatus;

  @ApiPropertyOptional({
    ...ATTRIBUTES_INPUT_SCHEMA,
    description: 'Merged into the stored attributes; a null value removes that attribute.',
  })
  @IfPresent()
  @IsObject()
  attributes?: Record<string, unknown>;

  @ApiPropertyOptional({ type: String, maxLength: MAX_NAME_LENGTH, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME_LENGTH)
  @NoNul()
  consentSource?: string | null;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  @IsOptional()
  @IsISO8601({ strict: true })
  consentAt?: string | null;
}

export class ContactsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Case-insensitive substring of email, first or last name', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @NoNul()
  q?: string;

  @ApiPropertyOptional({ description: 'Only members of this list', example: '3' })
  @IsOptional()
  @Matches(ID_PATTERN, { message: 'listId must be an id such as "42"' })
  listId?: string;

  @ApiPropertyOptional({ enum: CONTACT_STATUSES })
  @IsOptional()
  @IsIn(CONTACT_STATUSES)
  status?: ContactStatus;
}

export class ContactView {
  @ApiProperty({ example: '42' })
  id: string;

  @ApiProperty({ example: 'jane.doe@example.com' })
  email: string;

  @ApiProperty({ type: String, nullable: true })
  firstName: string | null;

  @ApiProperty({ type: String, nullable: true })
  lastName: string | null;

  @ApiProperty({ enum: CONTACT_STATUSES })
  status: ContactStatus;

  @ApiProperty(ATTRIBUTES_SCHEMA)
  attributes: Record<string, AttributeValue>;

  @ApiProperty({ type: String, nullable: true })
  consentSource: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  consentAt: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;

  @ApiProperty({ type: [String], description: 'Lists the contact belongs to' })
  listIds: string[];
}

export class ContactPage {
  @ApiProperty({ type: [ContactView] })
  items: ContactView[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}
