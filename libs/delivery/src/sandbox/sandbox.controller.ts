import { type Page, pageOf } from '@herald/common';
import { Controller, Delete, Get, Header, HttpCode, Param, Query, StreamableFile } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { SandboxMessageDetailView, SandboxMessageView, SandboxQueryDto } from './sandbox.dto.js';
import { SandboxMessages } from './sandbox-messages.service.js';

@ApiTags('sandbox')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('sandbox/messages')
export class SandboxController {
  constructor(private readonly messages: SandboxMessages) {}

  @Get()
  @ApiOperation({ summary: 'Mail the sandbox inbox caught, newest first' })
  @ApiOkResponse({ type: pageOf(SandboxMessageView) })
  list(@Query() query: SandboxQueryDto): Promise<Page<SandboxMessageView>> {
    return this.messages.list(query.limit, query.cursor, query.to);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One message parsed: headers, HTML and text (HTML as JSON data, never served as a page)' })
  @ApiOkResponse({ type: SandboxMessageDetailView })
  @ApiNotFoundResponse()
  get(@Param('id') id: string): Promise<SandboxMessageDetailView> {
    return this.messages.get(id);
  }

  @Get(':id/raw')
  @ApiOperation({ summary: 'The message exactly as received (message/rfc822), as a download' })
  @ApiProduces('message/rfc822')
  @Header('X-Content-Type-Options', 'nosniff')
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' } })
  @ApiNotFoundResponse()
  async raw(@Param('id') id: string): Promise<StreamableFile> {
    const raw = await this.messages.raw(id);
    return new StreamableFile(raw, {
      type: 'message/rfc822',
      disposition: `attachment; filename="message-${id}.eml"`,
      length: raw.length,
    });
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Empty the sandbox inbox' })
  @ApiNoContentResponse()
  async clear(): Promise<void> {
    await this.messages.clear();
  }
}
