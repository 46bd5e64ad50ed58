const MINUTE = 60_000;
const FIRST_DELAY_MS = MINUTE;
const MAX_DELAY_MS = 60 * MINUTE;

/**
 * How long to wait before the next try of a message deferred after
 * `attempts` tries: 1 min, 2, 4 ... capped at 1 h, each within ±20 % so that
 * a batch deferred together does not come back together.
 */
export function nextAttemptDelay(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.max(0, Math.min(attempts - 1, 16)));
  return Math.min(MAX_DELAY_MS, Math.round(base * (0.8 + 0.4 * random())));
}

/**
 * When a deferred message is tried again, or null when it is older than
 * `maxAgeHours` (HERALD_DEFER_MAX_AGE_HOURS) by then: a final soft bounce (`markFailed`).
 */
export function retryAt(
  message: { attempts: number; createdAt: Date },
  nowMs: number,
  maxAgeHours: number,
  random: () => number = Math.random,
): Date | null {
  const at = nowMs + nextAttemptDelay(message.attempts, random);
  if (at - message.createdAt.getTime() > maxAgeHours * 3_600_000) return null;
  return new Date(at);
}
