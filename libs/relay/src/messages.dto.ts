import { ID_PATTERN } from '@herald/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';

/** The hard ceiling on recipients in one API call; HERALD_RELAY_MAX_RECIPIENTS may set a lower one. */
const MAX_RECIPIENTS = 1000;
const EMAIL = { allow_ip_domain: false, require_tld: false } as const;

export class SendMessageDto {
  @ApiProperty({
    example: '1',
    description: 'The sender the message goes out through: its From address, limits and DKIM',
  })
  @IsString()
  @Matches(ID_PATTERN, { message: 'senderId must be a sender id' })
  senderId!: string;

  @ApiProperty({ type: [String], example: ['ada@example.com'], description: 'Recipients, each mailed separately' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_RECIPIENTS)
  @IsEmail(EMAIL, { each: true })
  @MaxLength(320, { each: true })
  to!: string[];

  @ApiPropertyOptional({
    example: 'Your receipt',
    description: "Required without `templateId`; with it, replaces the template's subject",
  })
  @ValidateIf((o: SendMessageDto) => o.subject !== undefined || o.templateId === undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(998)
  subject?: string;

  @ApiPropertyOptional({
    description: 'The HTML part; without `templateId`, `html` or `text` (or both) is required; not with `templateId`',
  })
  @ValidateIf((o: SendMessageDto) => o.html !== undefined || (o.text === undefined && o.templateId === undefined))
  @IsString()
  @IsNotEmpty()
  html?: string;

  @ApiPropertyOptional({ description: 'The plain-text part; not with `templateId`' })
  @ValidateIf((o: SendMessageDto) => o.text !== undefined || (o.html === undefined && o.templateId === undefined))
  @IsString()
  @IsNotEmpty()
  text?: string;

  @ApiPropertyOptional({
    example: '3',
    description:
      'A stored template to send instead of `html`/`text`, rendered once with `data` (Handlebars), without the unsubscribe footer (transactional mail is no list mail); tracked as `trackOpens` and `trackClicks` say, as `html` is',
  })
  @IsOptional()
  @IsString()
  @Matches(ID_PATTERN, { message: 'templateId must be a template id' })
  templateId?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { first_name: 'Ada', order: { number: 'A-1001', total: '42.00' } },
    description:
      'Values the template sees by name (`{{order.number}}`); at most 64 KB of JSON, 5 levels deep, strings up to 2,000 characters. Only with `templateId`',
  })
  @IsOptional()
  @IsObject()
  data?: Record<string, unknown>;

  @ApiPropertyOptional({ example: 'support@example.com' })
  @IsOptional()
  @IsEmail(EMAIL)
  @MaxLength(320)
  replyTo?: string;

  @ApiPropertyOptional({
    description:
      "Add the open pixel to the HTML. Defaults to the API key's `trackOpens`; off when signed in without a key",
  })
  @IsOptional()
  @IsBoolean()
  trackOpens?: boolean;

  @ApiPropertyOptional({
    description:
      "Send the HTML's http(s) links through click tracking (`/t/c/…`, which redirects only to the links stored with this message). Defaults to the API key's `trackClicks`; off when signed in without a key",
  })
  @IsOptional()
  @IsBoolean()
  trackClicks?: boolean;
}

export class CountView {
  @ApiProperty({ description: 'Every recorded event' }) total!: number;
  @ApiProperty({ description: 'Left out: privacy proxies, scanners, HEAD requests and other machines' })
  human!: number;
}

export class EngagementView {
  @ApiProperty({ type: CountView, description: 'Open pixel fetches' }) opens!: CountView;
  @ApiProperty({ type: CountView, description: 'Tracked link clicks' }) clicks!: CountView;
}

export class RecipientView {
  @ApiProperty({ example: '42', description: 'The delivery row of this recipient' }) id!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ enum: ['queued', 'sending', 'sent', 'deferred', 'failed', 'bounced', 'uncertain', 'skipped'] })
  status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true, description: 'The last SMTP reply or error' }) lastReply!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the next attempt is due' })
  nextAttemptAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) sentAt!: string | null;
  @ApiProperty({ type: EngagementView, description: 'What this recipient did with the message, when it is tracked' })
  engagement!: EngagementView;
}

export class MessageView {
  @ApiProperty({ example: '7' }) id!: string;
  @ApiProperty({ enum: ['smtp', 'api'] }) source!: 'smtp' | 'api';
  @ApiProperty({ type: String, nullable: true }) senderId!: string | null;
  @ApiProperty() envelopeFrom!: string;
  @ApiProperty({ type: String, nullable: true, description: 'The address of the From field' }) from!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'As in the header (RFC 2047 words undecoded)' })
  subject!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The Message-ID field' }) messageId!: string | null;
  @ApiProperty({ description: 'Bytes as stored, before DKIM' }) size!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ description: 'Its HTML carries the open pixel' }) trackOpens!: boolean;
  @ApiProperty({ description: "Its HTML's links go through click tracking" }) trackClicks!: boolean;
  @ApiProperty({ type: [RecipientView] }) recipients!: RecipientView[];
}
