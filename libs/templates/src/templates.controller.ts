import { type Page, pageOf, PageQueryDto } from '@herald/common';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import {
  CreateTemplateDto,
  PreviewDraftDto,
  PreviewTemplateDto,
  TemplateDto,
  TemplatePreviewDto,
  TemplateSummaryDto,
  UpdateTemplateDto,
} from './templates.dto.js';
import { TemplatesService } from './templates.service.js';

const DOES_NOT_COMPILE =
  'Invalid MJML or Handlebars; `fields` names `subject`, `preheader`, `body` or `textBody` with line, column and message';

@ApiTags('templates')
@ApiBearerAuth()
@ApiCookieAuth()
@ApiBadRequestResponse({ description: 'Malformed input; `fields` names each property at fault' })
@Controller('templates')
export class TemplatesController {
  constructor(private readonly templates: TemplatesService) {}

  @Get()
  @ApiOperation({ summary: 'Templates in id order, without their bodies' })
  @ApiOkResponse({ type: pageOf(TemplateSummaryDto) })
  list(@Query() query: PageQueryDto): Promise<Page<TemplateSummaryDto>> {
    return this.templates.list(query.limit, query.cursor);
  }

  @Post()
  @ApiOperation({ summary: 'Create a template; it is compiled first and refused if it does not compile' })
  @ApiCreatedResponse({ type: TemplateDto })
  @ApiUnprocessableEntityResponse({ description: DOES_NOT_COMPILE })
  create(@Body() body: CreateTemplateDto): Promise<TemplateDto> {
    return this.templates.create(body);
  }

  @Post('preview')
  @HttpCode(200)
  @ApiOperation({
    summary: "Render a template that is not saved (an editor's draft) for a contact or sample data; nothing is stored",
  })
  @ApiOkResponse({ type: TemplatePreviewDto })
  @ApiNotFoundResponse({ description: 'Unknown contact' })
  @ApiUnprocessableEntityResponse({ description: DOES_NOT_COMPILE })
  previewDraft(@Body() body: PreviewDraftDto): Promise<TemplatePreviewDto> {
    const { contactId, data, ...draft } = body;
    return this.templates.previewDraft(draft, { contactId, data });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One template with its body' })
  @ApiOkResponse({ type: TemplateDto })
  @ApiNotFoundResponse()
  get(@Param('id') id: string): Promise<TemplateDto> {
    return this.templates.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a template; the result must compile' })
  @ApiOkResponse({ type: TemplateDto })
  @ApiNotFoundResponse()
  @ApiUnprocessableEntityResponse({ description: DOES_NOT_COMPILE })
  update(@Param('id') id: string, @Body() body: UpdateTemplateDto): Promise<TemplateDto> {
    return this.templates.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a template' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  remove(@Param('id') id: string): Promise<void> {
    return this.templates.remove(id);
  }

  @Post(':id/preview')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Render for a contact or sample data: subject, HTML, text, size and warnings (nothing is tracked)',
  })
  @ApiOkResponse({ type: TemplatePreviewDto })
  @ApiNotFoundResponse({ description: 'Unknown template or contact' })
  preview(@Param('id') id: string, @Body() body: PreviewTemplateDto): Promise<TemplatePreviewDto> {
    return this.templates.preview(id, body);
  }
}
