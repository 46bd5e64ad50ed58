import { ContactsModule } from '@herald/contacts';
import { Module } from '@nestjs/common';
import { SandboxAddress } from './sandbox/sandbox-address.js';
import { SandboxController } from './sandbox/sandbox.controller.js';
import { SandboxMessages } from './sandbox/sandbox-messages.service.js';
import { SendersController } from './senders/senders.controller.js';
import { SendersService } from './senders/senders.service.js';

/** Senders, the sandbox inbox, and the machinery that hands messages to SMTP within each sender's limits. */
@Module({
  imports: [ContactsModule],
  controllers: [SendersController, SandboxController],
  providers: [SendersService, SandboxAddress, SandboxMessages],
  exports: [SendersService, SandboxAddress, SandboxMessages],
})
export class DeliveryModule {}
