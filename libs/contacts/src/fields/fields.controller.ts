import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CreateFieldDto, FieldPage, FieldsQueryDto, FieldView } from './fields.dto.js';
import { FieldsService } from './fields.service.js';

@ApiTags('fields')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('fields')
export class FieldsController {
  constructor(private readonly fields: FieldsService) {}

  @Get()
  @ApiOperation({ summary: 'Custom attribute definitions' })
  @ApiOkResponse({ type: FieldPage })
  list(@Query() query: FieldsQueryDto): Promise<FieldPage> {
    return this.fields.list(query.limit, query.cursor);
  }

  @Post()
  @ApiOperation({ summary: 'Define a custom attribute (name and type)' })
  @ApiCreatedResponse({ type: FieldView })
  @ApiConflictResponse({ description: 'A field with this name exists' })
  create(@Body() body: CreateFieldDto): Promise<FieldView> {
    return this.fields.create(body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a field definition and every value stored under it' })
  @ApiNoContentResponse()
  remove(@Param('id') id: string): Promise<void> {
    return this.fields.remove(id);
  }
}
