import { type Page, pageOf } from '@herald/common';
import { Controller, Get, Param, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { InboundMessageDetailView, InboundMessageView, InboundQueryDto } from './inbound.dto.js';
import { InboundMessages } from './inbound-messages.service.js';

@ApiTags('inbound')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('inbound/messages')
export class InboundController {
  constructor(private readonly messages: InboundMessages) {}

  @Get()
  @ApiOperation({
    summary: 'Mail the inbound listener took (bounces, feedback reports, unsubscribes, anything else), newest first',
  })
  @ApiOkResponse({ type: pageOf(InboundMessageView) })
  list(@Query() query: InboundQueryDto): Promise<Page<InboundMessageView>> {
    return this.messages.list(query.limit, query.cursor, query.outcome);
  }

  @Get(':id')
  @ApiOperation({
    summary: 'One inbound message: its headers, what its report said, why it ended as it did, and its raw text',
  })
  @ApiOkResponse({ type: InboundMessageDetailView })
  @ApiNotFoundResponse()
  get(@Param('id') id: string): Promise<InboundMessageDetailView> {
    return this.messages.get(id);
  }
}
