import { PageQueryDto, pageOf, PerUserConcurrency, type Page } from '@herald/common';
import { Controller, Get, Param, Query, StreamableFile, UseInterceptors } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { stringify } from 'csv-stringify';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ACTIVITY_CSV_COLUMNS, CampaignActivity } from './campaign-activity.js';
import { ContactActivityView } from './campaigns.dto.js';

/** Streams `records` as a CSV download; the first record is read first, so an unknown id is a 404, not a cut file. */
async function csvFile(records: AsyncGenerator<string[]>, filename: string): Promise<StreamableFile> {
  const first = await records.next();
  async function* all() {
    if (!first.done) yield first.value;
    yield* records;
  }
  const csv = stringify();
  // pipeline (not pipe) so a database error mid-download ends the response instead of leaving it hanging.
  pipeline(Readable.from(all()), csv).catch(() => undefined);
  return new StreamableFile(csv, {
    type: 'text/csv; charset=utf-8',
    disposition: `attachment; filename="${filename}"`,
  });
}

@ApiTags('campaigns')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('campaigns')
export class CampaignActivityController {
  constructor(private readonly activity: CampaignActivity) {}

  @Get(':id/activity.csv')
  @UseInterceptors(new PerUserConcurrency('exports', 3))
  @ApiProduces('text/csv')
  @ApiOperation({
    summary: 'What each recipient did, as CSV (streamed): one row per message, test sends left out',
    description:
      `Columns: ${ACTIVITY_CSV_COLUMNS.join(', ')}. Times are ISO 8601 UTC, empty when it never happened; ` +
      'first_open_at and first_click_at count machines too, opened_by_person and clicked_by_person say whether a ' +
      'person did (true/false); bounce_reply is the refusal of a bounced or failed message. Cells that a ' +
      "spreadsheet would run as a formula are prefixed with '.",
  })
  @ApiOkResponse({ description: 'The CSV file', schema: { type: 'string' } })
  @ApiNotFoundResponse({ description: 'No such campaign' })
  @ApiTooManyRequestsResponse({ description: 'Too many exports are running at once; retry shortly' })
  csv(@Param('id') id: string): Promise<StreamableFile> {
    return csvFile(this.activity.csvRecords(id), `campaign-${id}-activity.csv`);
  }
}

@ApiTags('contacts')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('contacts')
export class ContactActivityController {
  constructor(private readonly activity: CampaignActivity) {}

  @Get(':id/activity')
  @ApiOperation({
    summary: 'What a contact was sent and did: campaign messages newest first, each with its newest events',
  })
  @ApiOkResponse({ type: pageOf(ContactActivityView) })
  @ApiNotFoundResponse({ description: 'No such contact' })
  timeline(@Param('id') id: string, @Query() query: PageQueryDto): Promise<Page<ContactActivityView>> {
    return this.activity.contactTimeline(id, query);
  }
}
