import { type AuthenticatedRequest, DomainError, type Principal } from '@herald/common';
import { type CanActivate, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

export type Role = Principal['role'];
export const ROLES: readonly Role[] = ['admin', 'member'];

const REQUIRED_ROLES = 'herald:roles';

/**
 * Limits a route (or every route of a controller) to the given roles. Routes
 * without it are open to every signed-in user: members do all a marketer does;
 * users, other users' API keys, settings and senders are `@Roles('admin')`.
 */
export const Roles = (...roles: [Role, ...Role[]]) => SetMetadata(REQUIRED_ROLES, roles);

/** Global guard that runs after AuthGuard, so the principal is known. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!required) return true;
    const { principal } = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (principal && required.includes(principal.role)) return true;
    throw new DomainError('forbidden', `Only ${required.join(' or ')} users may do this`);
  }
}
