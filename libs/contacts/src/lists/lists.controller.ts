import { type Page, pageOf } from '@herald/common';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import {
  AddedView,
  CreateListDto,
  ListsQueryDto,
  ListView,
  MembershipDto,
  RemovedView,
  UpdateListDto,
} from './lists.dto.js';
import { ListsService } from './lists.service.js';

@ApiTags('lists')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('lists')
export class ListsController {
  constructor(private readonly lists: ListsService) {}

  @Get()
  @ApiOperation({ summary: 'Lists, with member counts' })
  @ApiOkResponse({ type: pageOf(ListView) })
  list(@Query() query: ListsQueryDto): Promise<Page<ListView>> {
    return this.lists.list(query.limit, query.cursor);
  }

  @Post()
  @ApiOperation({ summary: 'Create a list' })
  @ApiCreatedResponse({ type: ListView })
  create(@Body() body: CreateListDto): Promise<ListView> {
    return this.lists.create(body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One list' })
  @ApiOkResponse({ type: ListView })
  get(@Param('id') id: string): Promise<ListView> {
    return this.lists.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename or describe a list' })
  @ApiOkResponse({ type: ListView })
  update(@Param('id') id: string, @Body() body: UpdateListDto): Promise<ListView> {
    return this.lists.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a list; its contacts stay' })
  @ApiNoContentResponse()
  remove(@Param('id') id: string): Promise<void> {
    return this.lists.remove(id);
  }

  @Post(':id/contacts')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Add contacts to the list (idempotent)',
    description: 'All or nothing: if any id names no contact, the answer is 400 naming those ids and nothing is added.',
  })
  @ApiOkResponse({ type: AddedView })
  addContacts(@Param('id') id: string, @Body() body: MembershipDto): Promise<AddedView> {
    return this.lists.addContacts(id, body.contactIds);
  }

  @Delete(':id/contacts')
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove contacts from the list' })
  @ApiOkResponse({ type: RemovedView })
  removeContacts(@Param('id') id: string, @Body() body: MembershipDto): Promise<RemovedView> {
    return this.lists.removeContacts(id, body.contactIds);
  }
}
