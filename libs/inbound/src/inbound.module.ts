import { Module } from '@nestjs/common';
import { InboundController } from './inbound.controller.js';
import { InboundCoreModule } from './inbound-core.module.js';

/** The inbound messages API (`/api/v1/inbound/messages`), in api processes. */
@Module({
  imports: [InboundCoreModule],
  controllers: [InboundController],
})
export class InboundModule {}
