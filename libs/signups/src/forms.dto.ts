import { ID_PATTERN } from '@herald/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';

export const MAX_URL_CHARS = 2000;
export const MAX_CONSENT_CHARS = 2000;
export const MAX_VERSION_CHARS = 50;

/** The whole form settings of a list; absent optional fields take their defaults. */
export class FormSettingsDto {
  @ApiProperty({ example: true, description: 'Whether POST /subscribe/:listId takes submissions' })
  @IsBoolean()
  enabled: boolean;

  @ApiPropertyOptional({ default: true, description: 'Ask every new subscriber to confirm by email first' })
  @IsOptional()
  @IsBoolean()
  doubleOptIn?: boolean;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: '3',
    description: 'The sender of confirmation mails; required to enable the form',
  })
  @IsOptional()
  @ValidateIf((_o: object, v: unknown) => v !== null)
  @IsString()
  @Matches(ID_PATTERN, { message: 'senderId must be an id such as "42"' })
  senderId?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'https://www.example.com/thanks',
    description: 'Where a form post is sent after it was taken (absolute https); a Herald page when null',
  })
  @IsOptional()
  @ValidateIf((_o: object, v: unknown) => v !== null)
  @IsString()
  @MaxLength(MAX_URL_CHARS)
  successUrl?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'https://www.example.com/welcome',
    description: 'Where a confirmation is sent once done (absolute https); a Herald page when null',
  })
  @IsOptional()
  @ValidateIf((_o: object, v: unknown) => v !== null)
  @IsString()
  @MaxLength(MAX_URL_CHARS)
  confirmedUrl?: string | null;

  @ApiPropertyOptional({
    default: '',
    example: 'I agree to receive the newsletter and can unsubscribe at any time.',
    description: 'The consent wording shown beside a required checkbox; stored with every submission',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_CONSENT_CHARS)
  consentText?: string;

  @ApiPropertyOptional({
    default: '1',
    description: 'Your version of the consent wording, stored with every submission',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_VERSION_CHARS)
  consentVersion?: string;
}

export class FormSettingsView {
  @ApiProperty({ example: '1' })
  listId: string;

  @ApiProperty()
  enabled: boolean;

  @ApiProperty()
  doubleOptIn: boolean;

  @ApiProperty({ type: String, nullable: true })
  senderId: string | null;

  @ApiProperty({ type: String, nullable: true })
  successUrl: string | null;

  @ApiProperty({ type: String, nullable: true })
  confirmedUrl: string | null;

  @ApiProperty()
  consentText: string;

  @ApiProperty()
  consentVersion: string;

  @ApiProperty({ example: 'https://mail.example.com/subscribe/1', description: 'Where the form posts' })
  actionUrl: string;

  @ApiProperty({
    description:
      'An HTML form to paste into a web page: no script, a honeypot field, every value escaped. Posts to actionUrl.',
  })
  snippet: string;

  @ApiProperty({ type: String, nullable: true, description: 'null until the settings were first saved' })
  updatedAt: string | null;
}
