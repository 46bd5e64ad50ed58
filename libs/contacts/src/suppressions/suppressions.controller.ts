import { type Page, pageOf } from '@herald/common';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { CreateSuppressionDto, SuppressionsQueryDto, SuppressionView } from './suppressions.dto.js';
import { SuppressionsService } from './suppressions.service.js';

@ApiTags('suppressions')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('suppressions')
export class SuppressionsController {
  constructor(private readonly suppressions: SuppressionsService) {}

  @Get()
  @ApiOperation({ summary: 'Addresses that never receive marketing mail' })
  @ApiOkResponse({ type: pageOf(SuppressionView) })
  list(@Query() query: SuppressionsQueryDto): Promise<Page<SuppressionView>> {
    return this.suppressions.list(query.limit, query.cursor, query.email);
  }

  @Post()
  @ApiOperation({
    summary: 'Suppress an address',
    description: 'A subscribed contact with this address becomes unsubscribed (or bounced/complained, after `reason`).',
  })
  @ApiCreatedResponse({ type: SuppressionView, description: 'Suppressed now' })
  @ApiOkResponse({ type: SuppressionView, description: 'Already suppressed; the existing entry' })
  async create(
    @Body() body: CreateSuppressionDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SuppressionView> {
    const { suppression, created } = await this.suppressions.create(body);
    res.status(created ? 201 : 200);
    return suppression;
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a suppression; nobody is resubscribed by this' })
  @ApiNoContentResponse()
  remove(@Param('id') id: string): Promise<void> {
    return this.suppressions.remove(id);
  }
}
