import { CurrentUser, type Page, pageOf, type Principal } from '@herald/common';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import {
  CampaignPreflightView,
  CampaignReportView,
  CampaignsQueryDto,
  CampaignView,
  CreateCampaignDto,
  ScheduleCampaignDto,
  TestCampaignDto,
  TestSendView,
  UpdateCampaignDto,
} from './campaigns.dto.js';
import { CampaignsService } from './campaigns.service.js';

const CONFLICT = 'Not allowed in the campaign’s current state; the message names the state and what is allowed';

@ApiTags('campaigns')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('campaigns')
export class CampaignsController {
  constructor(private readonly campaigns: CampaignsService) {}

  @Get()
  @ApiOperation({ summary: 'Campaigns, oldest first (keyset pages), optionally in one state' })
  @ApiOkResponse({ type: pageOf(CampaignView) })
  list(@Query() query: CampaignsQueryDto): Promise<Page<CampaignView>> {
    return this.campaigns.list(query);
  }

  @Post()
  @ApiOperation({ summary: 'Create a draft campaign; without senderIds it sends through the sandbox inbox' })
  @ApiCreatedResponse({ type: CampaignView })
  @ApiBadRequestResponse({
    description: 'A field is invalid or names a template, sender, list or segment that does not exist',
  })
  create(@Body() body: CreateCampaignDto, @CurrentUser() user: Principal): Promise<CampaignView> {
    return this.campaigns.create(body, user.userId);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A campaign with its state and the actions allowed in it' })
  @ApiOkResponse({ type: CampaignView })
  get(@Param('id') id: string): Promise<CampaignView> {
    return this.campaigns.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Edit a campaign that has not started sending' })
  @ApiOkResponse({ type: CampaignView })
  @ApiConflictResponse({ description: CONFLICT })
  update(@Param('id') id: string, @Body() body: UpdateCampaignDto): Promise<CampaignView> {
    return this.campaigns.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a campaign that is not sending or paused (cancel it first)' })
  @ApiNoContentResponse()
  @ApiConflictResponse({ description: CONFLICT })
  remove(@Param('id') id: string): Promise<void> {
    return this.campaigns.remove(id);
  }

  @Post(':id/schedule')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Schedule at a wall-clock time in an IANA time zone',
    description:
      'A time skipped by a daylight-saving change is refused (400); a repeated one means its first occurrence.',
  })
  @ApiOkResponse({ type: CampaignView })
  @ApiConflictResponse({ description: CONFLICT })
  schedule(@Param('id') id: string, @Body() body: ScheduleCampaignDto): Promise<CampaignView> {
    return this.campaigns.schedule(id, body.at, body.timeZone);
  }

  @Post(':id/send')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start sending now' })
  @ApiOkResponse({ type: CampaignView })
  @ApiConflictResponse({ description: CONFLICT })
  send(@Param('id') id: string): Promise<CampaignView> {
    return this.campaigns.send(id);
  }

  @Post(':id/confirm')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send now a campaign whose scheduled time passed while Herald was down' })
  @ApiOkResponse({ type: CampaignView })
  @ApiConflictResponse({ description: CONFLICT })
  confirm(@Param('id') id: string): Promise<CampaignView> {
    return this.campaigns.confirm(id);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause sending; messages already claimed go back to the queue within a second' })
  @ApiOkResponse({ type: CampaignView })
  @ApiConflictResponse({ description: CONFLICT })
  pause(@Param('id') id: string): Promise<CampaignView> {
    return this.campaigns.pause(id);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume a paused campaign' })
  @ApiOkResponse({ type: CampaignView })
  @ApiConflictResponse({ description: CONFLICT })
  resume(@Param('id') id: string): Promise<CampaignView> {
    return this.campaigns.resume(id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel for good; nothing more is sent' })
  @ApiOkResponse({ type: CampaignView })
  @ApiConflictResponse({ description: CONFLICT })
  cancel(@Param('id') id: string): Promise<CampaignView> {
    return this.campaigns.cancel(id);
  }

  @Post(':id/duplicate')
  @ApiOperation({ summary: 'A new draft with the same settings' })
  @ApiCreatedResponse({ type: CampaignView })
  duplicate(@Param('id') id: string, @CurrentUser() user: Principal): Promise<CampaignView> {
    return this.campaigns.duplicate(id, user.userId);
  }

  @Post(':id/test')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send test messages now (subject starts with [Test]; not counted in the report)' })
  @ApiOkResponse({ type: TestSendView })
  @ApiConflictResponse({ description: CONFLICT })
  test(@Param('id') id: string, @Body() body: TestCampaignDto): Promise<TestSendView> {
    return this.campaigns.test(id, body.emails);
  }

  @Get(':id/preflight')
  @ApiOperation({
    summary: 'Before sending: the mailable audience now, the senders’ remaining daily capacity and the expected finish',
  })
  @ApiOkResponse({ type: CampaignPreflightView })
  preflight(@Param('id') id: string): Promise<CampaignPreflightView> {
    return this.campaigns.preflight(id);
  }

  @Get(':id/report')
  @ApiOperation({ summary: 'Progress: counts by outcome, current rate and expected finish' })
  @ApiOkResponse({ type: CampaignReportView })
  report(@Param('id') id: string): Promise<CampaignReportView> {
    return this.campaigns.report(id);
  }
}
