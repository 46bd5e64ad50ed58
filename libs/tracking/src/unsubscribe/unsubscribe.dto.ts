import { ID_PATTERN } from '@herald/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, Matches } from 'class-validator';

/** The most lists one form may name: more than any contact is in on a preference page. */
export const MAX_LISTS_PER_FORM = 500;

/**
 * What `POST /u/:token` takes: either a mailbox provider's RFC 8058
 * one-click body, or the preference page's form.
 */
export class UnsubscribeFormDto {
  @ApiPropertyOptional({
    name: 'List-Unsubscribe',
    enum: ['One-Click'],
    description: 'RFC 8058 one-click: unsubscribes from everything at once',
  })
  @IsOptional()
  @IsIn(['One-Click'])
  'List-Unsubscribe'?: string;

  @ApiPropertyOptional({
    enum: ['all', 'lists'],
    description: '`all`: unsubscribe from everything; `lists`: leave the lists in `lists`',
  })
  @IsOptional()
  @IsIn(['all', 'lists'])
  action?: 'all' | 'lists';

  @ApiPropertyOptional({ type: [String], description: 'With `action=lists`: ids of the lists to leave' })
  @IsOptional()
  // A form sends one value as a string and several as an array.
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? [value] : value))
  @IsArray()
  @ArrayMaxSize(MAX_LISTS_PER_FORM)
  @Matches(ID_PATTERN, { each: true, message: 'each value must be a list id such as "42"' })
  lists?: string[];
}
