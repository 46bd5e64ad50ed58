import { Module } from '@nestjs/common';
import { SignupsProcessor, SignupTick, SignupWorkflow } from './signup-worker.js';
import { SignupsCoreModule } from './signups-core.module.js';

/** Deciding submissions and sending confirmation mails; loaded by worker processes only. */
@Module({
  imports: [SignupsCoreModule],
  providers: [SignupWorkflow, SignupsProcessor, SignupTick],
})
export class SignupsWorkerModule {}
