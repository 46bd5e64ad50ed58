import { Module } from '@nestjs/common';
import { RelayCoreModule } from './relay-core.module.js';
import { RelayDeliverer, RelayDrain, RelayTick } from './relay-worker.js';

/** Delivering relayed and API messages; loaded by worker processes only. */
@Module({
  imports: [RelayCoreModule],
  providers: [RelayDeliverer, RelayDrain, RelayTick],
  exports: [RelayDeliverer],
})
export class RelayWorkerModule {}
