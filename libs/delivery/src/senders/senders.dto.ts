import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsPositive,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { SENDER_SECURITIES, type SenderKind, type SenderSecurity } from './sender.js';
import type { DnsCheckId, DnsCheckStatus } from './dns-check.js';
import type { VerifyStage } from './smtp-verify.js';

/** `undefined` means "not given"; `null` is refused where a field cannot be cleared. */
const Given = () => ValidateIf((_o: object, value: unknown) => value !== undefined);
/** The rate is messages per second; beyond this no single SMTP account goes, and a typo is more likely. */
export const MAX_RATE_PER_SECOND = 1000;
const MAX_PEM_CHARS = 16 * 1024;

class SenderFieldsDto {
  @ApiPropertyOptional({
    enum: SENDER_SECURITIES,
    description: '`tls` from the first byte (port 465 implies it), `starttls` upgrade required, `none` plain text',
  })
  @Given()
  @IsIn(SENDER_SECURITIES)
  security?: SenderSecurity;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 320 })
  @IsOptional()
  @IsString()
  @MaxLength(320)
  username?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 1000,
    description: 'Write-only: stored encrypted, never returned (see `hasPassword`); null removes it',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  password?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200, example: 'Acme News' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  fromName?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 254 })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  replyTo?: string | null;

  @ApiPropertyOptional({
    minimum: 0.001,
    maximum: MAX_RATE_PER_SECOND,
    default: 10,
    description: 'Messages per second; fractions allowed (0.5 = one every 2 s)',
  })
  @Given()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @IsPositive()
  @Max(MAX_RATE_PER_SECOND)
  ratePerSecond?: number;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    minimum: 1,
    description: 'Messages per day in `timeZone`; null: no limit',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  dailyLimit?: number | null;

  @ApiPropertyOptional({
    default: 'UTC',
    example: 'Europe/Paris',
    description: 'IANA zone the daily limit is counted in',
  })
  @Given()
  @IsString()
  @MaxLength(64)
  timeZone?: string;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 50,
    default: 2,
    description: 'SMTP connections kept open to this server',
  })
  @Given()
  @IsInt()
  @Min(1)
  @Max(50)
  poolSize?: number;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'example.com',
    description: 'The d= of DKIM signatures; null removes DKIM',
  })
  @IsOptional()
  @IsString()
  @MaxLength(253)
  dkimDomain?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'herald' })
  @IsOptional()
  @IsString()
  @MaxLength(63)
  dkimSelector?: string | null;

  @ApiPropertyOptional({ description: 'Write-only: an RSA private key in PEM form; stored encrypted, never returned' })
  @Given()
  @IsString()
  @MaxLength(MAX_PEM_CHARS)
  dkimPrivateKey?: string;

  @ApiPropertyOptional({
    description: 'true: generate a new RSA 2048 key in Herald instead of uploading one (false does nothing)',
  })
  @Given()
  @IsBoolean()
  dkimGenerate?: boolean;
}

export class CreateSenderDto extends SenderFieldsDto {
  @ApiProperty({ maxLength: 200, example: 'Acme via Postmark' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiProperty({ maxLength: 253, example: 'smtp.example.com' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(253)
  host: string;

  @ApiProperty({ minimum: 1, maximum: 65535, example: 587 })
  @IsInt()
  @Min(1)
  @Max(65535)
  port: number;

  @ApiProperty({ maxLength: 254, example: 'news@example.com' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(254)
  fromEmail: string;

  @ApiProperty({ maxLength: 500, description: 'Shown in the footer of every message (required by anti-spam law)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  postalAddress: string;
}

export class UpdateSenderDto extends SenderFieldsDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @Given()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ maxLength: 253 })
  @Given()
  @IsString()
  @IsNotEmpty()
  @MaxLength(253)
  host?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 65535 })
  @Given()
  @IsInt()
  @Min(1)
  @Max(65535)
  port?: number;

  @ApiPropertyOptional({ maxLength: 254 })
  @Given()
  @IsString()
  @IsNotEmpty()
  @MaxLength(254)
  fromEmail?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @Given()
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  postalAddress?: string;
}

export class DnsRecordView {
  @ApiProperty({ enum: ['TXT'] }) type: 'TXT';
  @ApiProperty({ example: 'herald._domainkey.example.com' }) name: string;
  @ApiProperty() value: string;
  @ApiProperty({ description: 'What the record is for and when to adapt it' }) note: string;
}

export class SenderView {
  @ApiProperty({ example: '1' }) id: string;
  @ApiProperty({ enum: ['smtp', 'sandbox'], description: '`sandbox` delivers into Herald’s own inbox' })
  kind: SenderKind;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'For the sandbox, where its inbox listens' }) host: string;
  @ApiProperty() port: number;
  @ApiProperty({ enum: SENDER_SECURITIES }) security: SenderSecurity;
  @ApiProperty({ type: String, nullable: true }) username: string | null;
  @ApiProperty({ description: 'Whether a password is stored; the password itself is never returned' })
  hasPassword: boolean;
  @ApiProperty() fromEmail: string;
  @ApiProperty({ type: String, nullable: true }) fromName: string | null;
  @ApiProperty({ type: String, nullable: true }) replyTo: string | null;
  @ApiProperty() postalAddress: string;
  @ApiProperty() ratePerSecond: number;
  @ApiProperty({ type: Number, nullable: true }) dailyLimit: number | null;
  @ApiProperty() timeZone: string;
  @ApiProperty() poolSize: number;
  @ApiProperty({ type: String, nullable: true }) dkimDomain: string | null;
  @ApiProperty({ type: String, nullable: true }) dkimSelector: string | null;
  @ApiProperty({ description: 'Whether a DKIM private key is stored; the key itself is never returned' })
  hasDkimKey: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'Base64 DER of the DKIM public key' })
  dkimPublicKey: string | null;
  @ApiProperty({ type: DnsRecordView, nullable: true, description: 'The DKIM TXT record to publish' })
  dkimRecord: DnsRecordView | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why sending took this sender out of service; any change to the sender puts it back',
  })
  disabledReason: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) disabledAt: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class SenderDnsView {
  @ApiProperty({ description: 'The domain of the From address' }) domain: string;
  @ApiProperty({ type: DnsRecordView }) spf: DnsRecordView;
  @ApiProperty({ type: DnsRecordView, nullable: true, description: 'Null until the sender has a DKIM key' })
  dkim: DnsRecordView | null;
  @ApiProperty({ type: DnsRecordView }) dmarc: DnsRecordView;
}

export class DnsCheckView {
  @ApiProperty({
    enum: ['spf', 'dkim', 'dmarc', 'spf_alignment', 'dkim_alignment'],
    description: 'What is checked; the alignments are with the From domain, as DMARC requires',
  })
  id: DnsCheckId;
  @ApiProperty({
    enum: ['ok', 'missing', 'wrong', 'error'],
    description: '`error`: the DNS lookup itself failed (the resolver did not answer), nothing is known',
  })
  status: DnsCheckStatus;
  @ApiProperty({ type: String, nullable: true, description: 'The DNS name looked up' }) name: string | null;
  @ApiProperty({ type: [String], description: 'The records found there' }) found: string[];
  @ApiProperty({ type: String, nullable: true, description: 'The record to publish, when something should change' })
  expected: string | null;
  @ApiProperty({ description: 'What is the matter and what to do, in plain words' }) message: string;
}

export class SenderDnsCheckView {
  @ApiProperty() senderId: string;
  @ApiProperty({ description: 'The domain of the From address' }) domain: string;
  @ApiProperty({ description: 'The DNS servers asked (HERALD_DNS_SERVERS), or `system resolver`' }) resolver: string;
  @ApiProperty({ format: 'date-time' }) checkedAt: string;
  @ApiProperty({ description: 'Every check is `ok`' }) ok: boolean;
  @ApiProperty({ type: [DnsCheckView], description: 'spf, dkim, dmarc, spf_alignment, dkim_alignment, in that order' })
  checks: DnsCheckView[];
}

export class VerifyResultView {
  @ApiProperty() ok: boolean;
  @ApiProperty({ enum: ['connect', 'tls', 'auth', 'ready'], description: 'The step that failed, or `ready`' })
  stage: VerifyStage;
  @ApiProperty({ description: 'What happened, in plain words' }) message: string;
  @ApiProperty({ type: String, nullable: true, description: "The server's reply or the network error" })
  reply: string | null;
}
