import { HERALD_CONFIG, type HeraldConfig, Public } from '@herald/common';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import type { CookieOptions, Response } from 'express';
import { API_KEY_SCOPES, type ApiKeyScope, ApiKeysService, type ApiKeyView } from './api-keys.service.js';
import { requestToken, SESSION_COOKIE } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { ApiKeyListDto, CreatedApiKeyDto, SetPasswordDto } from './users.dto.js';
import { UsersService } from './users.service.js';
import { type AuthenticatedRequest, CurrentUser, type Principal } from '@herald/common';

const isHttps = (url: string): boolean => new URL(url).protocol === 'https:';

export class LoginDto {
  @ApiProperty({ example: 'admin@example.com' })
  @IsString()
  @MaxLength(320)
  @IsEmail({ allow_ip_domain: false, require_tld: false })
  email: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  password: string;
}

export class CreateApiKeyDto {
  @ApiProperty({ example: 'CRM sync' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name: string;

  @ApiPropertyOptional({
    enum: API_KEY_SCOPES,
    default: 'full',
    description: '`relay`: the key works as the password of SMTP AUTH on the relay only, not on this API',
  })
  @IsOptional()
  @IsIn(API_KEY_SCOPES)
  scope?: ApiKeyScope;

  // No `default` in the document: generated clients would then require the property.
  @ApiPropertyOptional({
    description:
      'Mail sent with this key (relayed, or through `POST /messages`) gets the open pixel. Off when left out: transactional mail is untracked unless asked; `POST /messages` may override it per message. Set at creation only',
  })
  @IsOptional()
  @IsBoolean()
  trackOpens?: boolean;

  @ApiPropertyOptional({
    description:
      "Mail sent with this key has the http(s) links of its HTML sent through Herald's click tracking (`/t/c/…`), which redirects only to the links stored with the message. Off when left out; `POST /messages` may override it per message. Set at creation only",
  })
  @IsOptional()
  @IsBoolean()
  trackClicks?: boolean;
}

/** The signed-in user, and whether they came by session cookie or API key. */
export class MeView {
  @ApiProperty({ example: '1' }) id!: string;
  @ApiProperty({ example: 'admin@example.com' }) email!: string;
  @ApiProperty({ enum: ['admin', 'member'] }) role!: Principal['role'];
  @ApiProperty({ enum: ['session', 'api_key'] }) via!: Principal['via'];
}

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  /**
   * Secure whenever browsers reach Herald over https, whatever NODE_ENV says:
   * a session cookie sent over plain http can be read on the way.
   */
  private cookieOptions(): CookieOptions {
    return { httpOnly: true, sameSite: 'lax', secure: isHttps(this.config.PUBLIC_URL), path: '/' };
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in; sets the session cookie and returns the session token' })
  @ApiOkResponse({ description: 'Signed in: `token` (also sent as the session cookie), `expiresAt` and `user`' })
  @ApiUnauthorizedResponse({ description: 'The email or password is wrong' })
  @ApiTooManyRequestsResponse({ description: 'Too many failed logins for this email or address in 15 minutes' })
  async login(@Body() body: LoginDto, @Req() req: AuthenticatedRequest, @Res({ passthrough: true }) res: Response) {
    const { token, expiresAt, principal } = await this.auth.login(body.email, body.password, req.ip ?? 'unknown');
    res.cookie(SESSION_COOKIE, token, { ...this.cookieOptions(), expires: expiresAt });
    return {
      token,
      expiresAt: expiresAt.toISOString(),
      user: { id: principal.userId, email: principal.email, role: principal.role },
    };
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiCookieAuth()
  @ApiOperation({ summary: 'End the current session' })
  async logout(@Req() req: AuthenticatedRequest, @Res({ passthrough: true }) res: Response): Promise<void> {
    const token = requestToken(req);
    if (token) await this.auth.logout(token);
    res.clearCookie(SESSION_COOKIE, this.cookieOptions());
  }

  @Public()
  @Post('set-password')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Choose a password with a one-time link from an admin',
    description: 'The link works once and ends the other sessions of its user; then sign in as usual.',
  })
  @ApiNoContentResponse()
  async setPassword(@Body() body: SetPasswordDto): Promise<void> {
    await this.users.setPassword(body.token, body.password);
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiCookieAuth()
  @ApiOperation({ summary: 'The signed-in user' })
  @ApiOkResponse({ type: MeView })
  me(@CurrentUser() user: Principal): MeView {
    return { id: user.userId, email: user.email, role: user.role, via: user.via };
  }
}

@ApiTags('auth')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Get()
  @ApiOperation({ summary: "The current user's active API keys (never the keys themselves)" })
  @ApiOkResponse({ type: ApiKeyListDto })
  async list(@CurrentUser() user: Principal): Promise<{ items: ApiKeyView[] }> {
    return { items: await this.keys.list(user.userId) };
  }

  @Post()
  @ApiOperation({ summary: 'Create an API key; the `key` is shown in this response only' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  create(@CurrentUser() user: Principal, @Body() body: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.keys.create(user.userId, body.name, {
      scope: body.scope,
      trackOpens: body.trackOpens,
      trackClicks: body.trackClicks,
    });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key' })
  revoke(@CurrentUser() user: Principal, @Param('id') id: string): Promise<void> {
    return this.keys.revoke(user.userId, id);
  }
}
