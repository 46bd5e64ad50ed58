import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FormSettingsDto, FormSettingsView } from './forms.dto.js';
import { FormsService } from './forms.service.js';

@ApiTags('lists')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('lists/:id/form')
export class FormsController {
  constructor(private readonly forms: FormsService) {}

  @Get()
  @ApiOperation({ summary: "The list's sign-up form settings and its embeddable HTML snippet" })
  @ApiOkResponse({ type: FormSettingsView })
  get(@Param('id') id: string): Promise<FormSettingsView> {
    return this.forms.get(id);
  }

  @Put()
  @ApiOperation({
    summary: "Replace the list's sign-up form settings",
    description:
      'Redirect URLs are absolute https URLs and are only ever taken from here. Enabling a form needs a sender ' +
      '(confirmation mails go through it, within its rate and daily limit).',
  })
  @ApiOkResponse({ type: FormSettingsView })
  put(@Param('id') id: string, @Body() body: FormSettingsDto): Promise<FormSettingsView> {
    return this.forms.put(id, body);
  }
}
