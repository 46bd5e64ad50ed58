import { ID_PATTERN, PageQueryDto } from '@herald/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { CAMPAIGN_ACTIONS, CAMPAIGN_STATES, type CampaignAction, type CampaignState } from './campaign-state.js';

/** Present-but-null fails validation instead of being skipped as absent. */
const IfPresent = () => ValidateIf((_object: object, value: unknown) => value !== undefined);
/** Absent or null both skip the other checks (null clears). */
const IfSet = () => ValidateIf((_object: object, value: unknown) => value !== undefined && value !== null);
// eslint-disable-next-line no-control-regex -- NUL is exactly what is refused (Postgres text cannot hold it)
const NoNul = () => Matches(/^[^\u0000]*$/, { message: '$property must not contain NUL characters' });
const IsId = (property: string) => Matches(ID_PATTERN, { message: `${property} must be an id such as "42"` });

export class AudienceDto {
  @ApiPropertyOptional({
    type: [String],
    example: ['3', '4'],
    maxItems: 100,
    description: 'Contacts on any of these lists',
  })
  @IfPresent()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(ID_PATTERN, { each: true, message: 'each of listIds must be an id such as "42"' })
  listIds?: string[];

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: '7',
    description: 'Intersected with the lists when both are given',
  })
  @IfSet()
  @IsString()
  @IsId('segmentId')
  segmentId?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: '9',
    description: 'Contacts of this segment are left out',
  })
  @IfSet()
  @IsString()
  @IsId('excludeSegmentId')
  excludeSegmentId?: string | null;
}

/** The fields a draft has besides its name and senders. */
class CampaignFieldsDto {
  @ApiPropertyOptional({ type: String, nullable: true, example: '12' })
  @IfSet()
  @IsString()
  @IsId('templateId')
  templateId?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 500,
    description: "Replaces the template's subject (Handlebars allowed); null uses the template's",
  })
  @IfSet()
  @IsString()
  @MaxLength(500)
  @NoNul()
  subject?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 500,
    description: "Replaces the template's preheader",
  })
  @IfSet()
  @IsString()
  @MaxLength(500)
  @NoNul()
  preheader?: string | null;

  @ApiPropertyOptional({ type: AudienceDto })
  @IfPresent()
  @IsObject()
  @ValidateNested()
  @Type(() => AudienceDto)
  audience?: AudienceDto;

  @ApiPropertyOptional({ default: true })
  @IfPresent()
  @IsBoolean()
  trackOpens?: boolean;

  @ApiPropertyOptional({ default: true })
  @IfPresent()
  @IsBoolean()
  trackClicks?: boolean;
}

export class UpdateCampaignDto extends CampaignFieldsDto {
  @ApiPropertyOptional({ example: 'December newsletter', maxLength: 200 })
  @IfPresent()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @NoNul()
  name?: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['1'],
    minItems: 1,
    maxItems: 20,
    description: 'Senders sharing the load by remaining capacity; the first one signs the footer',
  })
  @IfPresent()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @Matches(ID_PATTERN, { each: true, message: 'each of senderIds must be an id such as "42"' })
  senderIds?: string[];
}

export class CreateCampaignDto extends CampaignFieldsDto {
  @ApiProperty({ example: 'December newsletter', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @NoNul()
  name: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['1'],
    minItems: 1,
    maxItems: 20,
    description: 'Default: the sandbox sender',
  })
  @IfPresent()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @Matches(ID_PATTERN, { each: true, message: 'each of senderIds must be an id such as "42"' })
  senderIds?: string[];
}

export class CampaignsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: CAMPAIGN_STATES })
  @IsOptional()
  @IsIn(CAMPAIGN_STATES)
  state?: CampaignState;
}

export class ScheduleCampaignDto {
  @ApiProperty({ example: '2026-12-01T09:00', description: 'Wall-clock time in `timeZone`, without offset' })
  @IsString()
  @MaxLength(40)
  at: string;

  @ApiProperty({ example: 'Europe/Berlin', description: 'IANA time zone name' })
  @IsString()
  @MaxLength(100)
  timeZone: string;
}

export class TestCampaignDto {
  @ApiProperty({ type: [String], example: ['me@example.com'], minItems: 1, maxItems: 10 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @MaxLength(320, { each: true })
  emails: string[];
}

export class AudienceView {
  @ApiProperty({ type: [String] }) listIds: string[];
  @ApiProperty({ type: String, nullable: true }) segmentId: string | null;
  @ApiProperty({ type: String, nullable: true }) excludeSegmentId: string | null;
}

export class CampaignView {
  @ApiProperty({ example: '5' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: CAMPAIGN_STATES }) state: CampaignState;
  @ApiProperty({ type: String, nullable: true, description: 'Why it is paused, failed, waiting or needs confirmation' })
  stateReason: string | null;
  @ApiProperty({ enum: CAMPAIGN_ACTIONS, isArray: true, description: 'What may be done in this state' })
  actions: CampaignAction[];
  @ApiProperty({ type: String, nullable: true }) templateId: string | null;
  @ApiProperty({ type: String, nullable: true }) subject: string | null;
  @ApiProperty({ type: String, nullable: true }) preheader: string | null;
  @ApiProperty({ type: [String] }) senderIds: string[];
  @ApiProperty({ type: AudienceView }) audience: AudienceView;
  @ApiProperty() trackOpens: boolean;
  @ApiProperty() trackClicks: boolean;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) sendAt: string | null;
  @ApiProperty({ type: String, nullable: true, example: '2026-12-01T09:00' }) sendAtLocal: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'Europe/Berlin' }) timeZone: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Recipients snapshotted at start' })
  audienceCount: number | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'Every sender spent its daily quota' })
  waitingForQuotaUntil: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) startedAt: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) finishedAt: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class TestSendView {
  @ApiProperty({ type: [String], description: 'The test messages' }) messageIds: string[];
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description:
      'Outcome by message id: sent, deferred, bounced, failed, uncertain, skipped, or queued when not reached',
  })
  outcomes: Record<string, string>;
}

/** Domains shown in a report: the ones with the most deliveries. */
export const REPORT_DOMAINS = 50;

export class FigureView {
  @ApiProperty() count: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Share of delivered messages (0.25 = 25 %); null before any delivery',
  })
  rate: number | null;
}

export class HumanAndTotalView {
  @ApiProperty({ type: FigureView, description: 'Everything recorded, machines included' }) total: FigureView;
  @ApiProperty({ type: FigureView, description: 'Without privacy proxies, scanners and bots' }) human: FigureView;
}

export class PairView {
  @ApiProperty() total: number;
  @ApiProperty() human: number;
}

export class RatePairView {
  @ApiProperty({ type: Number, nullable: true }) total: number | null;
  @ApiProperty({ type: Number, nullable: true }) human: number | null;
}

export class BouncesView {
  @ApiProperty({ type: FigureView, description: 'Refused permanently; rate of attempted messages' }) hard: FigureView;
  @ApiProperty({ type: FigureView, description: 'Deferred past the retry age; rate of attempted messages' })
  soft: FigureView;
}

export class LinkReportView {
  @ApiProperty() index: number;
  @ApiProperty({ description: 'As stored for the campaign; personalised parts still as placeholders' }) url: string;
  @ApiProperty({ type: PairView }) clicks: PairView;
  @ApiProperty({ type: PairView, description: 'Messages that clicked this link' }) uniqueClicks: PairView;
}

export class HourReportView {
  @ApiProperty({ format: 'date-time', description: 'Start of the hour, UTC' }) hour: string;
  @ApiProperty({ type: PairView }) opens: PairView;
  @ApiProperty({ type: PairView }) clicks: PairView;
  @ApiProperty() unsubscribes: number;
}

export class DomainReportView {
  @ApiProperty({ example: 'example.com' }) domain: string;
  @ApiProperty() delivered: number;
  @ApiProperty() bounced: number;
  @ApiProperty() failed: number;
  @ApiProperty({ type: HumanAndTotalView, description: "Rates of this domain's deliveries" })
  uniqueOpens: HumanAndTotalView;
  @ApiProperty({ type: HumanAndTotalView }) uniqueClicks: HumanAndTotalView;
  @ApiProperty({ type: FigureView }) unsubscribes: FigureView;
}

export class CampaignReportView {
  @ApiProperty({ enum: CAMPAIGN_STATES }) state: CampaignState;
  @ApiProperty({ type: String, nullable: true }) stateReason: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) waitingForQuotaUntil: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Recipients snapshotted at start' }) audience:
    number | null;
  @ApiProperty() queued: number;
  @ApiProperty({ description: 'Handed to a sender right now' }) sending: number;
  @ApiProperty({ description: 'Accepted by the receiving server' }) sent: number;
  @ApiProperty({ description: 'Temporarily refused; retried with backoff' }) deferred: number;
  @ApiProperty({ description: 'Deferred for longer than the retry age: soft bounce' }) failed: number;
  @ApiProperty({ description: 'Refused permanently; the address is suppressed' }) bounced: number;
  @ApiProperty({ description: 'Connection lost after the data with no reply; never resent' }) uncertain: number;
  @ApiProperty({ description: 'Not sent: suppressed or erased by the time of sending, or the campaign was cancelled' })
  skipped: number;
  @ApiProperty({ description: 'Taken back from a dead worker mid-SMTP: possible duplicates' }) reclaimed: number;
  @ApiProperty({ description: 'Messages per second over the last minute' }) ratePerSecond: number;
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'From what is left, the current rate and the senders’ remaining daily capacity; null when unknown',
  })
  expectedFinishAt: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) startedAt: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) finishedAt: string | null;
  @ApiProperty({ type: HumanAndTotalView, description: 'Every open recorded; rate of delivered' })
  opens: HumanAndTotalView;
  @ApiProperty({ type: HumanAndTotalView, description: 'Messages opened at least once' })
  uniqueOpens: HumanAndTotalView;
  @ApiProperty({ type: HumanAndTotalView }) clicks: HumanAndTotalView;
  @ApiProperty({ type: HumanAndTotalView, description: 'Messages with at least one click' })
  uniqueClicks: HumanAndTotalView;
  @ApiProperty({ type: RatePairView, description: 'Unique clicks per unique open; null before the first open' })
  clickToOpenRate: RatePairView;
  @ApiProperty({ type: FigureView }) unsubscribes: FigureView;
  @ApiProperty({ type: FigureView }) complaints: FigureView;
  @ApiProperty({ type: BouncesView }) bounces: BouncesView;
  @ApiProperty({ type: [LinkReportView], description: 'Every tracked link, in the order of the message' })
  links: LinkReportView[];
  @ApiProperty({ type: [HourReportView], description: 'Hours with opens, clicks or unsubscribes' })
  hourly: HourReportView[];
  @ApiProperty({
    type: [DomainReportView],
    description: `The ${REPORT_DOMAINS} recipient domains with most deliveries`,
  })
  domains: DomainReportView[];
}

const EVENT_TYPES = ['open', 'click', 'unsubscribe', 'complaint', 'bounce'];
const MESSAGE_STATUS_VALUES = ['queued', 'sending', 'sent', 'deferred', 'failed', 'bounced', 'uncertain', 'skipped'];

export class ActivityEventView {
  @ApiProperty({ enum: EVENT_TYPES }) type: 'open' | 'click' | 'unsubscribe' | 'complaint' | 'bounce';
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ type: Number, nullable: true, description: 'The link of a click' }) linkIndex: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'Where the link of a click leads, as stored' }) url:
    string | null;
  @ApiProperty({ description: 'Made by a machine (privacy proxy, link scanner, HEAD request), not a person' })
  machine: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'Why it counts as a machine' }) machineReason:
    string | null;
}

export class ContactActivityView {
  @ApiProperty() messageId: string;
  @ApiProperty() campaignId: string;
  @ApiProperty({ type: String, nullable: true, description: 'Null when the campaign was deleted' }) campaignName:
    string | null;
  @ApiProperty({ description: 'The address it went to' }) email: string;
  @ApiProperty({ enum: MESSAGE_STATUS_VALUES }) status: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'Accepted by the receiving server' })
  sentAt: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The refusal of a bounced or failed message' })
  bounceReply: string | null;
  @ApiProperty({ type: [ActivityEventView], description: 'Its newest events (at most 50), newest first' })
  events: ActivityEventView[];
}

export class PreflightSenderView {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() ratePerSecond: number;
  @ApiProperty({ type: Number, nullable: true }) dailyLimit: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: "What is left of today's quota (in the sender's time zone); null: no daily limit",
  })
  remainingToday: number | null;
  @ApiProperty({ description: 'Whether the sender signs with DKIM' }) hasDkim: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'Why the sender is out of service' })
  disabledReason: string | null;
}

export class PreflightCheckView {
  @ApiProperty({
    example: 'authentication',
    description:
      '`authentication`, `postal_address`, `content`, `unsubscribe_link`, `list_unsubscribe_headers`, `postal_address_shown`, `size`, `text_part`, `spam` (nothing found) or `spam.<rule>` (one per finding)',
  })
  id: string;
  @ApiProperty({ enum: ['pass', 'warn', 'fail'] }) status: 'pass' | 'warn' | 'fail';
  @ApiProperty() title: string;
  @ApiProperty({ description: 'What was found and what to do, in plain words' }) detail: string;
}

export class CampaignPreflightView {
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Contacts the audience selects now that may be mailed (subscribed, unsuppressed), each once',
  })
  audience: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why the audience could not be counted' })
  audienceError: string | null;
  @ApiProperty({ type: [PreflightSenderView] }) senders: PreflightSenderView[];
  @ApiProperty({
    type: Number,
    nullable: true,
    description: "The senders' remaining capacity today, together; null: at least one has no daily limit",
  })
  remainingToday: number | null;
  @ApiProperty({ description: "The senders' combined rate, messages per second" }) ratePerSecond: number;
  @ApiProperty({ description: "Today's remaining capacity covers the audience" }) coversAudience: boolean;
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description:
      'When the audience would have gone out if sent now at the senders’ rate; null when today’s capacity does not cover it',
  })
  expectedFinishAt: string | null;
  @ApiProperty({
    type: [PreflightCheckView],
    description:
      'The pre-send checklist: sender authentication (DNS), unsubscribe link and headers, postal address, size, text part and spam triggers, read from a sample message built as sending builds it',
  })
  checks: PreflightCheckView[];
}
