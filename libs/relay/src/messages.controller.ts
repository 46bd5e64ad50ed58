import { CurrentUser, invalid, type Page, pageOf, PageQueryDto, type Principal } from '@herald/common';
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCookieAuth,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { MessageView, SendMessageDto } from './messages.dto.js';
import { TransactionalMessages } from './messages.service.js';
import { type RelayMessageView, RelayStore } from './relay-store.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

@ApiTags('messages')
@ApiBearerAuth()
@ApiCookieAuth()
@ApiBadRequestResponse({ description: 'Malformed input; `fields` names each property at fault' })
@Controller('messages')
export class MessagesController {
  constructor(
    private readonly messages: TransactionalMessages,
    private readonly store: RelayStore,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send one transactional message',
    description:
      'Stored with one delivery row per recipient before the answer, then delivered through the sender within its limits, DKIM-signed. Suppressed addresses (bounced, complained, blocked by an operator) are skipped; unsubscribed ones still get transactional mail. Opens and clicks are tracked as `trackOpens` / `trackClicks` say, else as the API key says (untracked by default).',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Up to 200 printable characters. The same key with the same body within 24 h answers with the first message; with another body, 422.',
  })
  @ApiAcceptedResponse({ type: MessageView })
  @ApiNotFoundResponse({ description: 'No template with `templateId`; `fields.templateId` says so' })
  @ApiUnprocessableEntityResponse({
    description:
      'The Idempotency-Key was used with a different body, or the template cannot be rendered with `data` (it uses `{{unsubscribe_url}}`, or passes a render limit)',
  })
  @ApiPayloadTooLargeResponse({ description: 'Larger than HERALD_RELAY_MAX_BYTES' })
  @ApiTooManyRequestsResponse({ description: 'More than HERALD_RELAY_RATE_PER_MINUTE messages a minute' })
  async send(
    @CurrentUser() user: Principal,
    @Body() body: SendMessageDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<RelayMessageView> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw invalid('Idempotency-Key must be 1 to 200 printable ASCII characters', {
        'Idempotency-Key': 'malformed',
      });
    }
    const { message, replayed } = await this.messages.send(
      user,
      {
        senderId: body.senderId,
        to: body.to,
        subject: body.subject,
        html: body.html,
        text: body.text,
        templateId: body.templateId,
        data: body.data,
        replyTo: body.replyTo,
        trackOpens: body.trackOpens,
        trackClicks: body.trackClicks,
      },
      idempotencyKey,
    );
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    return message;
  }

  @Get()
  @ApiOperation({ summary: 'Relayed and API messages, newest first, each with its recipients’ outcomes' })
  @ApiOkResponse({ type: pageOf(MessageView) })
  list(@Query() query: PageQueryDto): Promise<Page<RelayMessageView>> {
    return this.store.list(query.limit, query.cursor);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One relayed or API message with its recipients’ outcomes' })
  @ApiOkResponse({ type: MessageView })
  @ApiNotFoundResponse()
  get(@Param('id') id: string): Promise<RelayMessageView> {
    return this.store.get(id);
  }
}
