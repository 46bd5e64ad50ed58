import { DomainError, IS_PUBLIC } from '@herald/common';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthService } from './auth.service.js';
import type { AuthenticatedRequest } from '@herald/common';

export const SESSION_COOKIE = 'herald_session';

export function requestToken(req: AuthenticatedRequest): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const cookies = req.cookies as Record<string, string> | undefined;
  return cookies?.[SESSION_COOKIE];
}

/** Global guard: every route needs a session or an API key unless marked @Public(). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = requestToken(req);
    const principal = token ? await this.auth.authenticate(token) : null;
    if (!principal) {
      throw new DomainError('unauthorized', 'Sign in, or send an API key as "Authorization: Bearer <key>"');
    }
    req.principal = principal;
    return true;
  }
}
