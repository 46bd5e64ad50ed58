import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery.module.js';
import { SandboxInbox } from './sandbox-inbox.js';

/**
 * The sandbox inbox's SMTP listener, for api processes only: workers deliver
 * to it but do not run it. It also gives a fresh install its sandbox sender.
 */
@Module({
  imports: [DeliveryModule],
  providers: [SandboxInbox],
  exports: [SandboxInbox],
})
export class SandboxInboxModule {}
