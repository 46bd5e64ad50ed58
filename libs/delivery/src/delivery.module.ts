import { ContactsModule } from '@herald/contacts';
import { SegmentsModule } from '@herald/segments';
import { Module } from '@nestjs/common';
import { MessageDispatch } from './dispatch/message-dispatch.js';
import { EngagementRegistrar } from './messages/engagement-registrar.js';
import { Outbox } from './messages/outbox.js';
import { SANDBOX_ENDPOINT, SenderPool } from './pool/sender-pool.js';
import { SandboxAddress } from './sandbox/sandbox-address.js';
import { SandboxController } from './sandbox/sandbox.controller.js';
import { SandboxMessages } from './sandbox/sandbox-messages.service.js';
import { DnsResolver } from './senders/dns-resolver.js';
import { SendersController } from './senders/senders.controller.js';
import { SendersService } from './senders/senders.service.js';
import { Throttle } from './throttle/throttle.js';

/** Senders, the sandbox inbox, and the machinery that hands messages to SMTP within each sender's limits. */
@Module({
  imports: [ContactsModule, SegmentsModule],
  controllers: [SendersController, SandboxController],
  providers: [
    Outbox,
    SenderPool,
    Throttle,
    MessageDispatch,
    SendersService,
    DnsResolver,
    SandboxAddress,
    SandboxMessages,
    { provide: SANDBOX_ENDPOINT, useExisting: SandboxAddress },
    EngagementRegistrar,
  ],
  exports: [Outbox, SenderPool, Throttle, MessageDispatch, SendersService, SandboxAddress, SandboxMessages],
})
export class DeliveryModule {}
