import { ID_PATTERN } from '@herald/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';

export class ExportQueryDto {
  @ApiPropertyOptional({ description: 'Only members of this list', example: '3' })
  @IsOptional()
  @Matches(ID_PATTERN, { message: 'listId must be an id such as "42"' })
  listId?: string;

  @ApiPropertyOptional({ description: 'Only contacts matching this segment', example: '5' })
  @IsOptional()
  @Matches(ID_PATTERN, { message: 'segmentId must be an id such as "42"' })
  segmentId?: string;
}
