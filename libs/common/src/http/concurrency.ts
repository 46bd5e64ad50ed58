import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { finalize, type Observable } from 'rxjs';
import { DomainError } from '../errors.js';
import type { AuthenticatedRequest } from './principal.js';

/**
 * Caps how many requests of one kind a user has running at once in this
 * process; one over the cap gets 429 at once instead of queueing for a
 * database connection. Meant for the expensive routes (segment counts,
 * exports), so that one user cannot take the whole pool from everyone else.
 * Apply one instance to every route that shares the cap:
 * `@UseInterceptors(previews)`.
 */
@Injectable()
export class PerUserConcurrency implements NestInterceptor {
  private readonly running = new Map<string, number>();

  /** `what` names the requests in the 429 message, plural: "segment previews and counts". */
  constructor(
    readonly what: string,
    readonly limit: number,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const key = req.principal?.userId ?? `ip:${req.ip ?? 'unknown'}`;
    const running = this.running.get(key) ?? 0;
    if (running >= this.limit) {
      throw new DomainError(
        'rate_limited',
        `At most ${this.limit} ${this.what} may run at once per user; wait for one to finish and retry`,
      );
    }
    this.running.set(key, running + 1);
    // finalize runs once on completion, error or a client that hangs up.
    return next.handle().pipe(finalize(() => this.release(key)));
  }

  /** How many requests `userId` has running now. */
  inFlight(userId: string): number {
    return this.running.get(userId) ?? 0;
  }

  private release(key: string): void {
    const left = (this.running.get(key) ?? 1) - 1;
    if (left <= 0) this.running.delete(key);
    else this.running.set(key, left);
  }
}
