import { Module } from '@nestjs/common';
import { MessageRenderer } from './message-renderer.js';
import { TemplatesController } from './templates.controller.js';
import { TemplatesService } from './templates.service.js';

@Module({
  controllers: [TemplatesController],
  providers: [TemplatesService, MessageRenderer],
  exports: [TemplatesService, MessageRenderer],
})
export class TemplatesModule {}
