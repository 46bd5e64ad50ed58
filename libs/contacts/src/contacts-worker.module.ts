import { Module } from '@nestjs/common';
import { ImportsWorkerModule } from './import/imports-worker.module.js';

/** The job processors of this lib; loaded by worker processes only. */
@Module({
  imports: [ImportsWorkerModule],
})
export class ContactsWorkerModule {}
