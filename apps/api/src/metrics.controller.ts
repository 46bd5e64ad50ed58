import { Public } from '@herald/common';
import { Controller, Get, Headers, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { MetricsService } from './metrics.service.js';

@ApiTags('operations')
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  // Public to the API-key guard: Prometheus holds no API key. When
  // HERALD_METRICS_TOKEN is set the service checks that token instead.
  @Public()
  @Get('metrics')
  @ApiBearerAuth('metricsToken')
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'Prometheus text format: process metrics, `herald_queue_jobs{queue,state}`, `herald_workers_live`, ' +
      '`herald_imports{status}` and `herald_contacts{status}`. Open unless `HERALD_METRICS_TOKEN` is set; ' +
      'then it needs `Authorization: Bearer <HERALD_METRICS_TOKEN>` (not an API key).',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Metrics in the Prometheus text format', schema: { type: 'string' } })
  @ApiUnauthorizedResponse({ description: 'HERALD_METRICS_TOKEN is set and the bearer token does not match it' })
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    this.metrics.authorize(authorization);
    res.setHeader('content-type', this.metrics.contentType);
    return this.metrics.render();
  }
}
