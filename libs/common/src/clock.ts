import { Injectable } from '@nestjs/common';

/**
 * The time as Herald's rules see it (daily quotas, backoff). Injected so that
 * a test can make "tomorrow" come: `set` and `advance` move this clock only.
 */
@Injectable()
export class Clock {
  private offsetMs = 0;

  /** Epoch milliseconds. */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Makes `now()` return `epochMs` from here on, still moving forward with real time. */
  set(epochMs: number): void {
    this.offsetMs = epochMs - Date.now();
  }

  /** Moves the clock forward (or back, negative) by `ms`. */
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
