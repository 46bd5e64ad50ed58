import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsObject, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import type { TemplateFormat, WarningCode } from './compile-template.js';

/** Gmail clips messages over 102 KB; bodies far above that are mistakes, not designs. */
export const MAX_BODY_CHARS = 512 * 1024;
export const MAX_TEXT_BODY_CHARS = 256 * 1024;
const FORMATS: TemplateFormat[] = ['mjml', 'html'];

/** `undefined` means "not given"; `null` is refused where a field cannot be cleared. */
const Given = () => ValidateIf((_o: object, value: unknown) => value !== undefined);

export class CreateTemplateDto {
  @ApiProperty({ example: 'Spring newsletter', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiProperty({ description: 'Handlebars, e.g. `News for {{default first_name "you"}}`', maxLength: 500 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  subject: string;

  @ApiPropertyOptional({ description: 'Hidden preview text shown after the subject in inboxes', maxLength: 500 })
  @Given()
  @IsString()
  @MaxLength(500)
  preheader?: string;

  @ApiPropertyOptional({ enum: FORMATS, default: 'mjml', description: '`html` for imported designs' })
  @Given()
  @IsIn(FORMATS)
  format?: TemplateFormat;

  @ApiProperty({ description: 'MJML (or HTML when `format` is `html`) with Handlebars personalisation' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_BODY_CHARS)
  body: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Hand-written text part; when null the text part is generated from the HTML',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT_BODY_CHARS)
  textBody?: string | null;
}

export class UpdateTemplateDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @Given()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @Given()
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  subject?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @Given()
  @IsString()
  @MaxLength(500)
  preheader?: string;

  @ApiPropertyOptional({ enum: FORMATS })
  @Given()
  @IsIn(FORMATS)
  format?: TemplateFormat;

  @ApiPropertyOptional()
  @Given()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_BODY_CHARS)
  body?: string;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'null removes the hand-written text part' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT_BODY_CHARS)
  textBody?: string | null;
}

export class PreviewTemplateDto {
  @ApiPropertyOptional({ description: 'Render for this contact', example: '42' })
  @Given()
  @IsString()
  @MaxLength(30)
  contactId?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      'Sample values by name (`first_name`, `company`, ...), laid over the contact or over built-in sample data',
    example: { first_name: 'Ada', company: 'Analytical Engines' },
  })
  @Given()
  @IsObject()
  data?: Record<string, unknown>;
}

export class PreviewDraftDto extends PreviewTemplateDto {
  @ApiProperty({ maxLength: 500 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  subject: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @Given()
  @IsString()
  @MaxLength(500)
  preheader?: string;

  @ApiPropertyOptional({ enum: FORMATS, default: 'mjml' })
  @Given()
  @IsIn(FORMATS)
  format?: TemplateFormat;

  @ApiProperty({ description: 'MJML (or HTML when `format` is `html`) with Handlebars personalisation' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_BODY_CHARS)
  body: string;

  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT_BODY_CHARS)
  textBody?: string | null;
}

export class TemplateSummaryDto {
  @ApiProperty({ example: '1' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() subject: string;
  @ApiProperty() preheader: string;
  @ApiProperty({ enum: FORMATS }) format: TemplateFormat;
  @ApiProperty({ nullable: true, type: String, description: 'The starter design this template was seeded from' })
  starter: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class TemplateDto extends TemplateSummaryDto {
  @ApiProperty() body: string;
  @ApiProperty({ nullable: true, type: String }) textBody: string | null;
}

export class TemplateWarningDto {
  @ApiProperty({
    enum: [
      'no_unsubscribe_link',
      'no_postal_address',
      'images_without_alt',
      'insecure_links',
      'untracked_links',
      'html_too_large',
    ],
  })
  code: WarningCode;
  @ApiProperty() message: string;
}

export class PreviewLinkDto {
  @ApiProperty() index: number;
  @ApiProperty() url: string;
}

export class TemplatePreviewDto {
  @ApiProperty() subject: string;
  @ApiProperty({ description: 'Links point at their real destinations; no tracking in previews' }) html: string;
  @ApiProperty() text: string;
  @ApiProperty({ description: 'Size of the HTML in bytes (Gmail clips above 102 KB)' }) sizeBytes: number;
  @ApiProperty({ type: [TemplateWarningDto] }) warnings: TemplateWarningDto[];
  @ApiProperty({ type: [PreviewLinkDto], description: 'The links a campaign would track' }) links: PreviewLinkDto[];
}
