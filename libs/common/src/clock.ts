import { Injectable } from '@nestjs/common';

/** The time quota days are counted by; tests replace it. */
@Injectable()
export class Clock {
  now(): number {
    return Date.now();
  }
}
