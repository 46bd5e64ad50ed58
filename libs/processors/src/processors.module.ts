import { CampaignsWorkerModule } from '@herald/campaigns';
import { WorkerHeartbeat } from '@herald/common';
import { ContactsWorkerModule } from '@herald/contacts';
import { RelayWorkerModule } from '@herald/relay';
import { SignupsWorkerModule } from '@herald/signups';
import { WebhooksWorkerModule } from '@herald/webhooks';
import { Module } from '@nestjs/common';

/**
 * Every lib's job processors and the worker heartbeat: what makes a process
 * a worker. The worker app loads it on its own; the api app loads it too
 * under `npm start` (`--with-worker`). Both expect the core module already
 * loaded. A lib with processors adds its worker module here.
 */
@Module({
  imports: [ContactsWorkerModule, CampaignsWorkerModule, SignupsWorkerModule, RelayWorkerModule, WebhooksWorkerModule],
  providers: [WorkerHeartbeat],
})
export class ProcessorsModule {}
