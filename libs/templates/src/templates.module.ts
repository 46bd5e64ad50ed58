import { ContactsModule } from '@herald/contacts';
import { Module } from '@nestjs/common';
import { TemplateCompiler } from './template-compiler.js';
import { TemplatesController } from './templates.controller.js';
import { TemplatesService } from './templates.service.js';

@Module({
  imports: [ContactsModule],
  controllers: [TemplatesController],
  providers: [TemplatesService, TemplateCompiler],
  exports: [TemplatesService, TemplateCompiler],
})
export class TemplatesModule {}
