import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
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
import { ContactPage, ContactsQueryDto, ContactView, CreateContactDto, UpdateContactDto } from './contacts.dto.js';
import { ContactsService } from './contacts.service.js';

@ApiTags('contacts')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('contacts')
export class ContactsController {
  constructor(private readonly contacts: ContactsService) {}

  @Get()
  @ApiOperation({ summary: 'Search and page through contacts' })
  @ApiOkResponse({ type: ContactPage })
  @ApiNotFoundResponse({ description: 'No list `listId`' })
  list(@Query() query: ContactsQueryDto): Promise<ContactPage> {
    return this.contacts.list(query);
  }

  @Post()
  @ApiOperation({ summary: 'Create a contact' })
  @ApiCreatedResponse({ type: ContactView })
  @ApiConflictResponse({ description: 'A contact with this address exists' })
  create(@Body() body: CreateContactDto): Promise<ContactView> {
    return this.contacts.create(body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One contact' })
  @ApiOkResponse({ type: ContactView })
  get(@Param('id') id: string): Promise<ContactView> {
    return this.contacts.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a contact; attributes merge, null removes one' })
  @ApiOkResponse({ type: ContactView })
  @ApiConflictResponse({
    description: 'Another contact has this address, or `subscribed` was asked for a suppressed address',
  })
  update(@Param('id') id: string, @Body() body: UpdateContactDto): Promise<ContactView> {
    return this.contacts.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Erase a contact',
    description: 'Removes the personal data; an opted-out address stays suppressed by its hash only.',
  })
  @ApiNoContentResponse()
  remove(@Param('id') id: string): Promise<void> {
    return this.contacts.remove(id);
  }
}
