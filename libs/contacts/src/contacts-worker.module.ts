import { Module } from '@nestjs/common';

/** The job processors of this lib; loaded by worker processes only. */
@Module({})
export class ContactsWorkerModule {}
