import { HERALD_CONFIG, type HeraldConfig, REDIS, rateLimited } from '@herald/common';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import ipaddr from 'ipaddr.js';
import { sha256 } from './tokens.js';

export const LOGIN_WINDOW_SECONDS = 15 * 60;
/**
 * One client may fail this many times the per-address limit across all
 * addresses: room for an office behind one NAT, none for trying a password
 * list over every account.
 */
export const CLIENT_LIMIT_FACTOR = 5;
/**
 * An address that failed this many times the limit, counted over all clients,
 * is under a distributed attack: each client then gets a third of the usual
 * tries at it. A correct password from a fresh client still signs in.
 */
export const UNDER_ATTACK_FACTOR = 3;

/**
 * The unit a client is counted by. An IPv6 subscriber usually holds a whole
 * /64, so counting single IPv6 addresses would hand an attacker 2^64 fresh
 * clients.
 */
export function clientOf(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const address = ipaddr.process(ip);
  if (address.kind() === 'ipv4') return address.toString();
  return `${new ipaddr.IPv6([...(address as ipaddr.IPv6).parts.slice(0, 4), 0, 0, 0, 0]).toString()}/64`;
}

/** The counters one login attempt was added to. */
export interface CountedAttempt {
  pairKey: string;
  clientKey: string;
  addressKey: string;
}

/**
 * Login throttling, in Redis so every api process shares it. Failures are
 * counted per address-and-client pair and per client, never per address
 * alone: an attacker exhausting their own tries cannot keep the real user,
 * coming from elsewhere, from signing in.
 */
@Injectable()
export class LoginThrottle {
  private readonly namespace: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {
    // Under the installation's name in Redis, apart from its queues and heartbeats.
    this.namespace = `${config.HERALD_QUEUE_PREFIX}:login-throttle`;
  }

  /**
   * Counts an attempt before its password is checked: a check-then-count
   * lets a burst of parallel guesses all pass the check before any of them
   * is counted. Throws a 429 with the time left when a limit is spent.
   */
  async count(email: string, ip: string): Promise<CountedAttempt> {
    const address = sha256(email.trim().toLowerCase());
    const client = clientOf(ip);
    const attempt: CountedAttempt = {
      pairKey: `${this.namespace}:pair:${address}:${client}`,
      clientKey: `${this.namespace}:client:${client}`,
      addressKey: `${this.namespace}:address:${address}`,
    };
    const results = await this.redis
      .multi()
      .incr(attempt.pairKey)
      .expire(attempt.pairKey, LOGIN_WINDOW_SECONDS, 'NX')
      .ttl(attempt.pairKey)
      .incr(attempt.clientKey)
      .expire(attempt.clientKey, LOGIN_WINDOW_SECONDS, 'NX')
      .ttl(attempt.clientKey)
      .get(attempt.addressKey)
      .exec();
    // Without WATCH a transaction is never aborted; failing closed all the same.
    if (!results) throw new Error('login throttle: Redis transaction aborted');
    const [pairCount, , pairTtl, clientCount, , clientTtl, addressFailures] = results.map(([error, value]) => {
      if (error) throw error;
      return Number(value ?? 0);
    });

    const max = this.config.HERALD_LOGIN_MAX_FAILURES;
    const underAttack = addressFailures >= max * UNDER_ATTACK_FACTOR;
    const pairLimit = underAttack ? Math.ceil(max / UNDER_ATTACK_FACTOR) : max;
    const waits: number[] = [];
    if (pairCount > pairLimit) waits.push(pairTtl);
    if (clientCount > max * CLIENT_LIMIT_FACTOR) waits.push(clientTtl);
    if (waits.length > 0) {
      const seconds = Math.max(...waits.map((ttl) => (ttl > 0 ? ttl : LOGIN_WINDOW_SECONDS)));
      throw rateLimited(`Too many failed logins; try again in ${Math.ceil(seconds / 60)} minute(s)`, seconds);
    }
    // Counted only once admitted: clients already refused add no weight to the address.
    await this.redis.multi().incr(attempt.addressKey).expire(attempt.addressKey, LOGIN_WINDOW_SECONDS, 'NX').exec();
    return attempt;
  }

  /**
   * The password was right, so the attempt was no failure: the pair starts
   * afresh, and the client and the address take it back off their counts.
   */
  async succeeded(attempt: CountedAttempt): Promise<void> {
    await this.redis
      .multi()
      .del(attempt.pairKey)
      .eval(DECREMENT_IF_PRESENT, 1, attempt.clientKey)
      .eval(DECREMENT_IF_PRESENT, 1, attempt.addressKey)
      .exec();
  }
}

// A plain DECR on a key whose window just expired would recreate it, with no expiry.
const DECREMENT_IF_PRESENT = `if redis.call('exists', KEYS[1]) == 1 then return redis.call('decr', KEYS[1]) end return 0`;
