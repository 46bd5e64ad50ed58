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
  @ApiProperty({ description: 'Suppressed or erased by the time of sending' }) skipped: number;
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
}
