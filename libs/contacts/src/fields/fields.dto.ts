import { PageQueryDto } from '@herald/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { FIELD_NAME_PATTERN, FIELD_TYPES, type FieldType } from '../attributes.js';
import { NoNul } from '../contacts/contacts.dto.js';

export class CreateFieldDto {
  @ApiProperty({
    example: 'plan',
    pattern: FIELD_NAME_PATTERN.source,
    description: 'Lower-case letters, digits and `_`, starting with a letter; used as `attributes.<name>`.',
  })
  @IsString()
  @MaxLength(63)
  @Matches(FIELD_NAME_PATTERN, { message: 'name must be lower-case letters, digits or _, starting with a letter' })
  name: string;

  @ApiProperty({ enum: FIELD_TYPES })
  @IsIn(FIELD_TYPES)
  type: FieldType;

  @ApiPropertyOptional({ example: 'Plan', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @NoNul()
  label?: string;
}

export class FieldsQueryDto extends PageQueryDto {}

export class FieldView {
  @ApiProperty({ example: '7' })
  id: string;

  @ApiProperty({ example: 'plan' })
  name: string;

  @ApiProperty({ enum: FIELD_TYPES })
  type: FieldType;

  @ApiProperty({ type: String, nullable: true })
  label: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}
