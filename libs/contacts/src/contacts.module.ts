import { Module } from '@nestjs/common';
import { ContactsController } from './contacts/contacts.controller.js';
import { ContactsService } from './contacts/contacts.service.js';
import { OptIns } from './contacts/opt-in.js';
import { ExportController } from './export/export.controller.js';
import { ExportService } from './export/export.service.js';
import { SegmentFilters } from './export/segment-filters.js';
import { FieldsController } from './fields/fields.controller.js';
import { FieldsService } from './fields/fields.service.js';
import { ImportsModule } from './import/imports.module.js';
import { ListsController } from './lists/lists.controller.js';
import { ListsService } from './lists/lists.service.js';
import { ContactStatistics } from './statistics.js';
import { SuppressionsController } from './suppressions/suppressions.controller.js';
import { SuppressionsService } from './suppressions/suppressions.service.js';

@Module({
  imports: [ImportsModule],
  // ExportController first: its `contacts/export.csv` must be matched before `contacts/:id`.
  controllers: [ExportController, ContactsController, ListsController, FieldsController, SuppressionsController],
  providers: [
    ContactsService,
    ListsService,
    FieldsService,
    SuppressionsService,
    ExportService,
    SegmentFilters,
    ContactStatistics,
    OptIns,
  ],
  exports: [
    ContactsService,
    ListsService,
    FieldsService,
    SuppressionsService,
    SegmentFilters,
    ContactStatistics,
    OptIns,
  ],
})
export class ContactsModule {}
