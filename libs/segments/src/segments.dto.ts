import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsObject, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';

const RULES_DESCRIPTION =
  'A group `{ "all" | "any" | "none": [...] }` of conditions `{ field, op, value }` and nested groups. ' +
  'Fields: email, status, createdAt, updatedAt, attributes.<name>, lists, engagement. ' +
  'Empty groups: `all: []` and `none: []` match everyone, `any: []` matches no one. See libs/segments/README.md.';

const RULES_EXAMPLE = {
  all: [
    { field: 'attributes.country', op: 'eq', value: 'DE' },
    { field: 'createdAt', op: 'withinDays', value: 30 },
    { none: [{ field: 'lists', op: 'inAny', value: ['3'] }] },
  ],
};

export class PreviewSegmentDto {
  @ApiProperty({ description: RULES_DESCRIPTION, type: 'object', additionalProperties: true, example: RULES_EXAMPLE })
  @IsObject()
  rules: Record<string, unknown>;
}

export class CreateSegmentDto extends PreviewSegmentDto {
  @ApiProperty({ example: 'New customers in Germany', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;
}

export class UpdateSegmentDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000, description: 'null clears it' })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({ description: RULES_DESCRIPTION, type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  rules?: Record<string, unknown>;
}

export class SegmentDto {
  @ApiProperty({ example: '7' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) rules: unknown;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class SegmentDetailDto extends SegmentDto {
  @ApiProperty({ type: Number, nullable: true, description: 'Contacts matching now; null when counting failed' })
  count: number | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why there is no count: the rules refer to a deleted field or list, or counting timed out',
  })
  countError: string | null;
}

export class SegmentPageDto {
  @ApiProperty({ type: [SegmentDto] }) items: SegmentDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class SampleContactDto {
  @ApiProperty() id: string;
  @ApiProperty() email: string;
  @ApiProperty({ type: String, nullable: true }) firstName: string | null;
  @ApiProperty({ type: String, nullable: true }) lastName: string | null;
  @ApiProperty() status: string;
}

export class SegmentPreviewDto {
  @ApiProperty({ description: 'Contacts matching the rules now' }) count: number;
  @ApiProperty({ type: [SampleContactDto], description: 'The first matches by id (at most 10)' })
  sample: SampleContactDto[];
}
