import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiKeysService } from './api-keys.service.js';
import { Roles } from './roles.js';
import {
  ApiKeyListDto,
  CreatedUserDto,
  CreateUserDto,
  PasswordLinkDto,
  UpdateUserDto,
  UserPage,
  UsersQueryDto,
  UserViewDto,
} from './users.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@ApiCookieAuth()
@ApiForbiddenResponse({ description: 'The caller is not an admin' })
@Roles('admin')
@Controller('users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly keys: ApiKeysService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Users, active and deactivated' })
  @ApiOkResponse({ type: UserPage })
  list(@Query() query: UsersQueryDto): Promise<UserPage> {
    return this.users.list(query.limit, query.cursor);
  }

  @Post()
  @ApiOperation({
    summary: 'Add a user',
    description:
      'With a `password`, the user can sign in at once. Without one, the answer holds a one-time ' +
      '`passwordLink` (shown in this response only) to hand to the user, who chooses their password with it.',
  })
  @ApiCreatedResponse({ type: CreatedUserDto })
  @ApiConflictResponse({ description: 'A user with this email exists' })
  create(@Body() body: CreateUserDto): Promise<CreatedUserDto> {
    return this.users.create(body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One user' })
  @ApiOkResponse({ type: UserViewDto })
  get(@Param('id') id: string): Promise<UserViewDto> {
    return this.users.get(id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: "Change a user's role, or deactivate or reactivate them",
    description:
      'Deactivation ends the sessions of the user and refuses their API keys at once; reactivation lets the ' +
      'keys work again. Demoting or deactivating the last active admin is refused with 409.',
  })
  @ApiOkResponse({ type: UserViewDto })
  @ApiConflictResponse({ description: 'The change would leave no active admin' })
  update(@Param('id') id: string, @Body() body: UpdateUserDto): Promise<UserViewDto> {
    return this.users.update(id, body);
  }

  @Post(':id/password-link')
  @ApiOperation({
    summary: 'Issue a new one-time set-password link (a new invite, or a reset)',
    description: 'The previous link of the user stops working. The link is shown in this response only.',
  })
  @ApiCreatedResponse({ type: PasswordLinkDto })
  @ApiConflictResponse({ description: 'The user is deactivated' })
  issuePasswordLink(@Param('id') id: string): Promise<PasswordLinkDto> {
    return this.users.issuePasswordLink(id);
  }

  @Get(':id/api-keys')
  @ApiOperation({ summary: "A user's active API keys (never the keys themselves)" })
  @ApiOkResponse({ type: ApiKeyListDto })
  async listApiKeys(@Param('id') id: string): Promise<ApiKeyListDto> {
    const user = await this.users.get(id);
    return { items: await this.keys.list(user.id) };
  }

  @Delete(':id/api-keys/:keyId')
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke one of a user's API keys" })
  @ApiNoContentResponse()
  async revokeApiKey(@Param('id') id: string, @Param('keyId') keyId: string): Promise<void> {
    const user = await this.users.get(id);
    await this.keys.revoke(user.id, keyId);
  }
}
