import { OUTGOING_EVENT_TYPES, type OutgoingEventType } from '@herald/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';

export const MAX_URL_CHARS = 2000;
export const MAX_DESCRIPTION_CHARS = 500;
/** `undefined` means "not given"; `null` is refused. */
const Given = () => ValidateIf((_o: object, value: unknown) => value !== undefined);

const URL_DESCRIPTION =
  'Absolute https URL whose host resolves only to public addresses (checked again at every connection); no user name or password';

export class CreateWebhookDto {
  @ApiProperty({ maxLength: MAX_URL_CHARS, example: 'https://hooks.example.com/herald', description: URL_DESCRIPTION })
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_URL_CHARS)
  url: string;

  @ApiProperty({ enum: OUTGOING_EVENT_TYPES, isArray: true, example: ['clicked', 'unsubscribed'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(OUTGOING_EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(OUTGOING_EVENT_TYPES, { each: true })
  eventTypes: OutgoingEventType[];

  @ApiPropertyOptional({ maxLength: MAX_DESCRIPTION_CHARS, default: '' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_DESCRIPTION_CHARS)
  description?: string;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional({ maxLength: MAX_URL_CHARS, description: URL_DESCRIPTION })
  @Given()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_URL_CHARS)
  url?: string;

  @ApiPropertyOptional({ enum: OUTGOING_EVENT_TYPES, isArray: true })
  @Given()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(OUTGOING_EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(OUTGOING_EVENT_TYPES, { each: true })
  eventTypes?: OutgoingEventType[];

  @ApiPropertyOptional({ maxLength: MAX_DESCRIPTION_CHARS })
  @Given()
  @IsString()
  @MaxLength(MAX_DESCRIPTION_CHARS)
  description?: string;

  @ApiPropertyOptional({ description: 'A disabled endpoint records no events and is sent nothing; its backlog waits' })
  @Given()
  @IsBoolean()
  enabled?: boolean;
}

export class WebhookView {
  @ApiProperty({ example: '1' }) id: string;
  @ApiProperty() url: string;
  @ApiProperty() description: string;
  @ApiProperty({ enum: OUTGOING_EVENT_TYPES, isArray: true }) eventTypes: OutgoingEventType[];
  @ApiProperty() enabled: boolean;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'The latest attempt to this endpoint',
  })
  lastAttemptAt: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'HTTP status of the latest attempt; null: no answer' })
  lastStatus: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why the latest attempt failed; null when it succeeded' })
  lastError: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class CreatedWebhookView extends WebhookView {
  @ApiProperty({ description: 'The signing secret: shown this once, never again (rotate to get a new one)' })
  secret: string;
}

export class WebhookSecretView {
  @ApiProperty({ description: 'The new signing secret: shown this once; the old one stops signing at once' })
  secret: string;
}

export const DELIVERY_STATUSES = ['pending', 'sending', 'delivered', 'failed'] as const;

export class WebhookDeliveryView {
  @ApiProperty({ example: '7' }) id: string;
  @ApiProperty({
    enum: DELIVERY_STATUSES,
    description:
      'pending: waits for its (next) attempt; sending: being posted; delivered: a 2xx came back; failed: given up',
  })
  status: (typeof DELIVERY_STATUSES)[number];
  @ApiProperty({ description: 'Events in this POST' }) eventCount: number;
  @ApiProperty({ type: String, isArray: true, description: 'Their types (`test` for a test event)' })
  eventTypes: string[];
  @ApiProperty() attempts: number;
  @ApiProperty({ type: Number, nullable: true }) lastStatus: number | null;
  @ApiProperty({ type: String, nullable: true }) lastError: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When a pending delivery is tried' })
  nextAttemptAt: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deliveredAt: string | null;
}
