import { type Page, pageOf, PageQueryDto, PerUserConcurrency } from '@herald/common';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseInterceptors } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import {
  CreateSegmentDto,
  PreviewSegmentDto,
  SegmentDetailDto,
  SegmentDto,
  SegmentPreviewDto,
  UpdateSegmentDto,
} from './segments.dto.js';
import { type SegmentDetail, SegmentsService, type SegmentView } from './segments.service.js';

/** Each count holds a pool connection for up to HERALD_SEGMENT_TIMEOUT_MS. */
const counts = new PerUserConcurrency('segment previews and counts', 2);

@ApiTags('segments')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('segments')
export class SegmentsController {
  constructor(private readonly segments: SegmentsService) {}

  @Get()
  @ApiOperation({ summary: 'Saved segments, oldest first (keyset pages)' })
  @ApiOkResponse({ type: pageOf(SegmentDto) })
  list(@Query() query: PageQueryDto): Promise<Page<SegmentView>> {
    return this.segments.list(query.limit, query.cursor);
  }

  @Post()
  @ApiOperation({ summary: 'Save a segment; its rules are validated against the current fields and lists' })
  @ApiCreatedResponse({ type: SegmentDto })
  create(@Body() body: CreateSegmentDto): Promise<SegmentView> {
    return this.segments.create(body);
  }

  @Post('preview')
  @HttpCode(200)
  @UseInterceptors(counts)
  @ApiOperation({ summary: 'Count the contacts matching rules now, with a small sample' })
  @ApiOkResponse({ type: SegmentPreviewDto })
  @ApiUnprocessableEntityResponse({
    description: 'Counting took longer than HERALD_SEGMENT_TIMEOUT_MS and was stopped',
  })
  preview(@Body() body: PreviewSegmentDto): Promise<SegmentPreviewDto> {
    return this.segments.preview(body.rules);
  }

  @Get(':id')
  @UseInterceptors(counts)
  @ApiOperation({ summary: 'A segment with its live count' })
  @ApiOkResponse({ type: SegmentDetailDto })
  get(@Param('id') id: string): Promise<SegmentDetail> {
    return this.segments.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename, describe or change the rules of a segment' })
  @ApiOkResponse({ type: SegmentDto })
  update(@Param('id') id: string, @Body() body: UpdateSegmentDto): Promise<SegmentView> {
    return this.segments.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a segment' })
  remove(@Param('id') id: string): Promise<void> {
    return this.segments.remove(id);
  }
}
