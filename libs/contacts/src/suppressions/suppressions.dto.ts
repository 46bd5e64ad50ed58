import { PageQueryDto } from '@herald/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { NoNul } from '../contacts/contacts.dto.js';
import { SUPPRESSION_REASONS, type SuppressionReason } from '../status.js';

export class CreateSuppressionDto {
  @ApiProperty({ example: 'someone@example.com', maxLength: 320 })
  @IsString()
  @MaxLength(320)
  email: string;

  @ApiPropertyOptional({ enum: SUPPRESSION_REASONS, default: 'manual' })
  @IsOptional()
  @IsIn(SUPPRESSION_REASONS)
  reason?: SuppressionReason;

  @ApiPropertyOptional({ example: 'support ticket 1234', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @NoNul()
  source?: string;
}

export class SuppressionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    description: 'Only the entry for this address (matched by hash, so erased contacts are found too).',
    maxLength: 320,
  })
  @IsOptional()
  @IsString()
  @MaxLength(320)
  email?: string;
}

export class SuppressionView {
  @ApiProperty({ example: '12' })
  id: string;

  @ApiProperty({ type: String, nullable: true, description: 'null once the contact was erased; only the hash is kept' })
  email: string | null;

  @ApiProperty({ description: 'hex sha256 of the lower-cased address' })
  emailHash: string;

  @ApiProperty({ enum: SUPPRESSION_REASONS })
  reason: SuppressionReason;

  @ApiProperty({ type: String, nullable: true })
  source: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}
