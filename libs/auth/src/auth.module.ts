import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeysService } from './api-keys.service.js';
import { ApiKeysController, AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { LoginThrottle } from './login-throttle.js';
import { RolesGuard } from './roles.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

@Module({
  controllers: [AuthController, ApiKeysController, UsersController],
  providers: [
    AuthService,
    ApiKeysService,
    UsersService,
    LoginThrottle,
    // Global guards run in this order: who is calling, then what their role allows.
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
  exports: [AuthService, ApiKeysService, UsersService],
})
export class AuthModule {}
