import { HERALD_CONFIG, type HeraldConfig, PerUserConcurrency } from '@herald/common';
import { Controller, Get, Inject, Logger, Query, Res, UseInterceptors } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCookieAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { ExportQueryDto } from './export.dto.js';
import { ExportService } from './export.service.js';

/**
 * Registered before ContactsController so that `contacts/export.csv` is not
 * taken for `contacts/:id`.
 */
@ApiTags('contacts')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('contacts')
export class ExportController {
  private readonly logger = new Logger(ExportController.name);

  constructor(
    private readonly exports: ExportService,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  @Get('export.csv')
  @UseInterceptors(new PerUserConcurrency('exports', 3))
  @ApiOperation({
    summary: 'Download contacts as CSV (streamed)',
    description:
      'Columns: email, first_name, last_name, status, consent_source, consent_at, created_at, updated_at, then one ' +
      "per defined field. Cells that a spreadsheet would run as a formula are prefixed with '.",
  })
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'The CSV file', schema: { type: 'string' } })
  @ApiNotFoundResponse({ description: 'No list `listId` or segment `segmentId`' })
  @ApiConflictResponse({ description: 'The segment refers to a field or list deleted since it was saved' })
  @ApiTooManyRequestsResponse({ description: 'Too many exports are running at once; retry shortly' })
  async export(@Query() query: ExportQueryDto, @Res() res: Response): Promise<void> {
    const { stream, filename } = await this.exports.open(query);
    // A client that stops reading would hold the connection for ever: cut it
    // when the socket has been idle this long (the pipeline then releases it).
    res.setTimeout(this.config.HERALD_EXPORT_IDLE_TIMEOUT_MS, () => res.destroy());
    res.status(200).set({
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${filename}"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    // Once headers are out an error can only cut the response short, which
    // the client sees as a failed download; the service has already
    // released the connection.
    await pipeline(stream, res).catch((error: Error) => this.logger.debug(`export ended early: ${error.message}`));
    res.socket?.setTimeout(0);
  }
}
