import type { Type as Class } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page } from './pagination.js';

export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit: number = DEFAULT_PAGE_SIZE;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

const pageClasses = new Map<Class, Class>();

/**
 * The OpenAPI shape of `Page<T>` for the view class `item`, for
 * `@ApiOkResponse({ type: pageOf(ContactView) })`. Named after the item
 * (`ContactView` gives `ContactPage`) and made once per item class.
 */
export function pageOf<T>(item: Class<T>): Class<Page<T>> {
  const existing = pageClasses.get(item);
  if (existing !== undefined) return existing as Class<Page<T>>;
  class PageOfItems implements Page<T> {
    items: T[];
    nextCursor: string | null;
  }
  ApiProperty({ type: [item] })(PageOfItems.prototype, 'items');
  ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last' })(
    PageOfItems.prototype,
    'nextCursor',
  );
  Object.defineProperty(PageOfItems, 'name', { value: `${item.name.replace(/(View|Dto)$/, '')}Page` });
  pageClasses.set(item, PageOfItems);
  return PageOfItems;
}
