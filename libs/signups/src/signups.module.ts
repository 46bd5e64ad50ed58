import { Module } from '@nestjs/common';
import { FormsController } from './forms.controller.js';
import { SignupsCoreModule } from './signups-core.module.js';
import { SubscribeController } from './subscribe.controller.js';

/** Sign-up forms: per-list settings and snippet, the public form post, and double opt-in confirmation. */
@Module({
  imports: [SignupsCoreModule],
  controllers: [FormsController, SubscribeController],
})
export class SignupsModule {}
