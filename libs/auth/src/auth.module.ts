import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeysService } from './api-keys.service.js';
import { ApiKeysController, AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';

@Module({
  controllers: [AuthController, ApiKeysController],
  providers: [AuthService, ApiKeysService, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [AuthService, ApiKeysService],
})
export class AuthModule {}
