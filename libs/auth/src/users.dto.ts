import { PageQueryDto } from '@herald/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { type Role, ROLES } from './roles.js';
import type { PasswordLink, UserView } from './users.service.js';

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 1024;

const ROLE_DESCRIPTION =
  "`admin`: everything, including users, other users' API keys, settings and senders. " +
  '`member`: everything a marketer does (contacts, lists, imports, segments, templates, campaigns, own API keys).';

export class CreateUserDto {
  @ApiProperty({ example: 'ann@example.com', maxLength: 320 })
  @IsString()
  @MaxLength(320)
  @IsEmail({ allow_ip_domain: false, require_tld: false })
  email: string;

  @ApiProperty({ enum: ROLES, description: ROLE_DESCRIPTION })
  @IsIn(ROLES)
  role: Role;

  @ApiPropertyOptional({
    minLength: MIN_PASSWORD_LENGTH,
    maxLength: MAX_PASSWORD_LENGTH,
    description: 'An initial password. Leave it out to get a one-time link the user chooses their password with.',
  })
  @IsOptional()
  @IsString()
  @MinLength(MIN_PASSWORD_LENGTH)
  @MaxLength(MAX_PASSWORD_LENGTH)
  password?: string;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ enum: ROLES, description: ROLE_DESCRIPTION })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;

  @ApiPropertyOptional({
    description:
      'false deactivates the user: their sessions end and their API keys are refused at once. true reactivates them.',
  })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

export class UsersQueryDto extends PageQueryDto {}

export class SetPasswordDto {
  @ApiProperty({ description: 'The token of a set-password link (the part after `#token=`).' })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'token is not one Herald issued' })
  token: string;

  @ApiProperty({ minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH })
  @IsString()
  @MinLength(MIN_PASSWORD_LENGTH)
  @MaxLength(MAX_PASSWORD_LENGTH)
  password: string;
}

export class UserViewDto implements UserView {
  @ApiProperty({ example: '2' })
  id: string;

  @ApiProperty({ example: 'ann@example.com' })
  email: string;

  @ApiProperty({ enum: ROLES })
  role: Role;

  @ApiProperty({ description: 'false once deactivated: cannot sign in, API keys refused' })
  active: boolean;

  @ApiProperty({ description: 'false for an invited user who has not chosen a password yet' })
  passwordSet: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deactivatedAt: string | null;
}

export class UserPage {
  @ApiProperty({ type: [UserViewDto] })
  items: UserViewDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}

export class PasswordLinkDto implements PasswordLink {
  @ApiProperty({
    example: 'https://mail.example.com/set-password#token=…',
    description: 'Give this to the user; it works once. It is shown in this response only.',
  })
  url: string;

  @ApiProperty({ description: 'The secret in the link, for `POST /api/v1/auth/set-password`.' })
  token: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;
}

export class CreatedUserDto {
  @ApiProperty({ type: UserViewDto })
  user: UserViewDto;

  @ApiProperty({
    type: PasswordLinkDto,
    nullable: true,
    description: 'null when an initial password was given',
  })
  passwordLink: PasswordLinkDto | null;
}

export class ApiKeyViewDto {
  @ApiProperty({ example: '7' })
  id: string;

  @ApiProperty({ example: 'CRM sync' })
  name: string;

  @ApiProperty({ example: 'hk_AbCdEfGh', description: 'Identifies the key; not enough to use it' })
  prefix: string;

  @ApiProperty({ enum: ['full', 'relay'], description: '`relay`: SMTP AUTH on the relay only' })
  scope: 'full' | 'relay';

  @ApiProperty({ description: 'Mail sent with this key gets the open pixel (set when the key is created)' })
  trackOpens: boolean;

  @ApiProperty({ description: "Mail sent with this key has its HTML's links tracked (set when the key is created)" })
  trackClicks: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastUsedAt: string | null;
}

export class CreatedApiKeyDto extends ApiKeyViewDto {
  @ApiProperty({ example: 'hk_AbCdEfGh…', description: 'The key itself: shown in this response only, never again' })
  key: string;
}

export class ApiKeyListDto {
  @ApiProperty({ type: [ApiKeyViewDto] })
  items: ApiKeyViewDto[];
}
