import { type Page, pageOf, PageQueryDto } from '@herald/common';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import {
  CreateSenderDto,
  SenderDnsCheckView,
  SenderDnsView,
  SenderView,
  UpdateSenderDto,
  VerifyResultView,
} from './senders.dto.js';
import { SendersService } from './senders.service.js';

@ApiTags('senders')
@ApiBearerAuth()
@ApiCookieAuth()
@ApiBadRequestResponse({ description: 'Malformed input; `fields` names each property at fault' })
@Controller('senders')
export class SendersController {
  constructor(private readonly senders: SendersService) {}

  @Get()
  @ApiOperation({ summary: 'Senders in id order; passwords and DKIM private keys are never returned' })
  @ApiOkResponse({ type: pageOf(SenderView) })
  list(@Query() query: PageQueryDto): Promise<Page<SenderView>> {
    return this.senders.list(query.limit, query.cursor);
  }

  @Post()
  @ApiOperation({ summary: 'Add an SMTP sender; the password and DKIM key are stored encrypted' })
  @ApiCreatedResponse({ type: SenderView })
  create(@Body() body: CreateSenderDto): Promise<SenderView> {
    return this.senders.create(body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One sender' })
  @ApiOkResponse({ type: SenderView })
  @ApiNotFoundResponse()
  get(@Param('id') id: string): Promise<SenderView> {
    return this.senders.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a sender; a sender taken out of service is put back in' })
  @ApiOkResponse({ type: SenderView })
  @ApiNotFoundResponse()
  update(@Param('id') id: string, @Body() body: UpdateSenderDto): Promise<SenderView> {
    return this.senders.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a sender no campaign uses' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'A campaign uses this sender' })
  remove(@Param('id') id: string): Promise<void> {
    return this.senders.remove(id);
  }

  @Post(':id/verify')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Connect and sign in as sending would; says in plain words what failed (`ok: false` is still a 200)',
  })
  @ApiOkResponse({ type: VerifyResultView })
  @ApiNotFoundResponse()
  verify(@Param('id') id: string): Promise<VerifyResultView> {
    return this.senders.verify(id);
  }

  @Get(':id/dns')
  @ApiOperation({ summary: 'The SPF, DKIM and DMARC records to publish for the From domain' })
  @ApiOkResponse({ type: SenderDnsView })
  @ApiNotFoundResponse()
  dns(@Param('id') id: string): Promise<SenderDnsView> {
    return this.senders.dns(id);
  }

  @Get(':id/dns/check')
  @ApiOperation({
    summary: 'Look the SPF, DKIM and DMARC records up and say what is missing or wrong',
    description:
      'A GET because it changes nothing; each call asks DNS again (HERALD_DNS_SERVERS, bounded by HERALD_DNS_TIMEOUT_MS). ' +
      'Each check is `ok`, `missing`, `wrong` or `error` (the lookup failed) with a sentence saying what to do; ' +
      'a failing resolver is a 200 with `error` checks, not a 5xx.',
  })
  @ApiOkResponse({ type: SenderDnsCheckView })
  @ApiNotFoundResponse()
  checkDns(@Param('id') id: string): Promise<SenderDnsCheckView> {
    return this.senders.checkDns(id);
  }
}
