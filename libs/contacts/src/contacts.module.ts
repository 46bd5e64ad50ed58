import { Module } from '@nestjs/common';
import { ImportsModule } from './import/imports.module.js';

@Module({
  imports: [ImportsModule],
})
export class ContactsModule {}
