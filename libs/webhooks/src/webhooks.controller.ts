import { Roles } from '@herald/auth';
import { type Page, pageOf, PageQueryDto } from '@herald/common';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import {
  CreatedWebhookView,
  CreateWebhookDto,
  UpdateWebhookDto,
  WebhookDeliveryView,
  WebhookSecretView,
  WebhookView,
} from './webhooks.dto.js';
import { WebhooksService } from './webhooks.service.js';

@ApiTags('webhooks')
@ApiBearerAuth()
@ApiCookieAuth()
@ApiBadRequestResponse({ description: 'Malformed input; `fields` names each property at fault' })
@ApiForbiddenResponse({ description: 'The caller is not an admin' })
// Webhooks send recipients' addresses to a URL of the caller's choice: an admin's decision, as senders are.
@Roles('admin')
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @ApiOperation({ summary: 'Webhook endpoints in id order, with the outcome of their latest attempt' })
  @ApiOkResponse({ type: pageOf(WebhookView) })
  list(@Query() query: PageQueryDto): Promise<Page<WebhookView>> {
    return this.webhooks.list(query.limit, query.cursor);
  }

  @Post()
  @ApiOperation({
    summary: 'Add an endpoint; the answer carries its signing secret, shown this once',
    description:
      'Events of the chosen types are POSTed as a JSON array, several per request, signed: `Herald-Signature: v1=<hex HMAC-SHA256 of "<Herald-Timestamp>.<body>" keyed with the secret>`.',
  })
  @ApiCreatedResponse({ type: CreatedWebhookView })
  create(@Body() body: CreateWebhookDto): Promise<CreatedWebhookView> {
    return this.webhooks.create(body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One endpoint; its secret is never shown again' })
  @ApiOkResponse({ type: WebhookView })
  @ApiNotFoundResponse()
  get(@Param('id') id: string): Promise<WebhookView> {
    return this.webhooks.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change the URL, event types, description, or switch the endpoint off and on' })
  @ApiOkResponse({ type: WebhookView })
  @ApiNotFoundResponse()
  update(@Param('id') id: string, @Body() body: UpdateWebhookDto): Promise<WebhookView> {
    return this.webhooks.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete the endpoint, its undelivered events and its delivery log' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  remove(@Param('id') id: string): Promise<void> {
    return this.webhooks.remove(id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'Replace the signing secret; the new one is shown this once and signs from now on' })
  @ApiOkResponse({ type: WebhookSecretView })
  @ApiNotFoundResponse()
  rotateSecret(@Param('id') id: string): Promise<WebhookSecretView> {
    return this.webhooks.rotateSecret(id);
  }

  @Post(':id/test')
  @HttpCode(200)
  @ApiOperation({
    summary: 'POST one `test` event now; answers with the delivery after that attempt (retried if it failed)',
  })
  @ApiOkResponse({ type: WebhookDeliveryView })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The endpoint is disabled' })
  sendTest(@Param('id') id: string): Promise<WebhookDeliveryView> {
    return this.webhooks.sendTest(id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'The endpoint’s deliveries, newest first: status, attempts, last HTTP status and error' })
  @ApiOkResponse({ type: pageOf(WebhookDeliveryView) })
  @ApiNotFoundResponse()
  deliveries(@Param('id') id: string, @Query() query: PageQueryDto): Promise<Page<WebhookDeliveryView>> {
    return this.webhooks.deliveries(id, query.limit, query.cursor);
  }
}
