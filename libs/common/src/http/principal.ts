import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

export interface Principal {
  userId: string;
  email: string;
  role: 'admin' | 'member';
  via: 'session' | 'api_key';
  /** The key the request came with (`via: 'api_key'`): what it sends is sent under that key's settings. */
  apiKeyId?: string;
}

export type AuthenticatedRequest = Request & { principal?: Principal };

/**
 * The user behind the request, set by the global guard of libs/auth. It lives
 * here so that every lib can name the caller without importing auth.
 */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('CurrentUser used on a public route');
  return principal;
});
