import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { AppSecret, isMessageId } from '@herald/common';
import { Injectable } from '@nestjs/common';

/** Bumped with the format, so that links of an old format stop verifying. */
const KEY_LABEL = 'herald signup confirmation v1';
const MAC_BYTES = 16;
const SHAPE = /^([1-9][0-9]{0,18})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})$/;

/**
 * The link in a confirmation mail: `<signup id>.<expiry, epoch seconds>.<MAC>`,
 * the MAC an HMAC-SHA256 (cut to 128 bits) under a key of its own derived
 * from the app secret. It cannot be forged or moved to another submission or
 * expiry; the id in it is no secret (the submission row decides what it may do).
 */
@Injectable()
export class ConfirmTokens {
  private key: Buffer | undefined;

  constructor(private readonly secret: AppSecret) {}

  sign(signupId: string, expiresAt: Date): string {
    const expiry = Math.floor(expiresAt.getTime() / 1000);
    return `${signupId}.${expiry}.${this.mac(signupId, expiry)}`;
  }

  /** The submission id of a valid, unexpired token; null for anything else. Never throws. */
  verify(token: string, nowMs: number): { signupId: string; expired: boolean } | null {
    if (typeof token !== 'string' || token.length > 60) return null;
    const m = SHAPE.exec(token);
    if (m === null || !isMessageId(m[1])) return null;
    const expiry = Number(m[2]);
    const given = Buffer.from(m[3], 'base64url');
    const wanted = Buffer.from(this.mac(m[1], expiry), 'base64url');
    if (given.length !== MAC_BYTES || !timingSafeEqual(given, wanted)) return null;
    return { signupId: m[1], expired: expiry * 1000 <= nowMs };
  }

  private mac(signupId: string, expiry: number): string {
    this.key ??= Buffer.from(hkdfSync('sha256', this.secret.value, '', KEY_LABEL, 32));
    return createHmac('sha256', this.key)
      .update(`${signupId}.${expiry}`)
      .digest()
      .subarray(0, MAC_BYTES)
      .toString('base64url');
  }
}
