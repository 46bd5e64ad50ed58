import { PageQueryDto } from '@herald/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { ID_PATTERN, NoNul } from '../contacts/contacts.dto.js';

export const MAX_MEMBERSHIP_BATCH = 10_000;

export class CreateListDto {
  @ApiProperty({ example: 'Newsletter', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @NoNul()
  name: string;

  @ApiPropertyOptional({ type: String, maxLength: 2000, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  @NoNul()
  description?: string | null;
}

export class UpdateListDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @ValidateIf((_o: object, value: unknown) => value !== undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @NoNul()
  name?: string;

  @ApiPropertyOptional({ type: String, maxLength: 2000, nullable: true, description: 'null clears it' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  @NoNul()
  description?: string | null;
}

export class ListsQueryDto extends PageQueryDto {}

export class MembershipDto {
  @ApiProperty({ type: [String], example: ['42', '43'], minItems: 1, maxItems: MAX_MEMBERSHIP_BATCH })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_MEMBERSHIP_BATCH)
  @Matches(ID_PATTERN, { each: true, message: 'each of contactIds must be an id such as "42"' })
  contactIds: string[];
}

export class ListView {
  @ApiProperty({ example: '3' })
  id: string;

  @ApiProperty({ example: 'Newsletter' })
  name: string;

  @ApiProperty({ type: String, nullable: true })
  description: string | null;

  @ApiProperty({ description: 'Contacts in the list, whatever their status' })
  memberCount: number;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class ListPage {
  @ApiProperty({ type: [ListView] })
  items: ListView[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}

export class AddedView {
  @ApiProperty({ description: 'Memberships created; contacts already in the list are not counted' })
  added: number;
}

export class RemovedView {
  @ApiProperty({ description: 'Memberships removed; ids not in the list are not counted' })
  removed: number;
}
