import { createHash, randomBytes } from 'node:crypto';
import { textEqual } from '../auth/compare';
import type { Clock, Store } from '../store';
import type { VisitorTag } from '../http/visitors';

/**
 * The second factor of `mfa_user`: after the right password, the login answers 401 `mfa_required`
 * with an `mfa_token`; the one-time code posted with it completes the login. The code is the
 * published demo code (a real server checks a TOTP, RFC 6238, or a code it sent); the token is
 * stored as a digest, charged to the visitor who earned it, expires, and allows a few attempts.
 */
export const MFA_DEMO_CODE = '123456';
/** How long an mfa_token waits for its code. */
export const MFA_TOKEN_SECONDS = 300;
/** Codes tried per mfa_token: past them the token is spent and the password must come again. */
export const MFA_MAX_ATTEMPTS = 5;

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const digest = (token: string) => createHash('sha256').update(token).digest('base64url');
const key = (token: string) => `mfa:${digest(token)}`;
const attemptsKey = (token: string) => `mfa-attempts:${digest(token)}`;

interface Pending {
  sub: string;
  visitor: VisitorTag;
  /** When the password was checked (seconds), for auth_time. */
  authTime: number;
}

/** Why a code was refused; the token is spent when no attempt remains. */
export type MfaOutcome =
  | { ok: true; sub: string; authTime: number }
  | { ok: false; reason: 'token'; detail: string }
  | { ok: false; reason: 'code'; attemptsRemaining: number };

export class MfaChallenges {
  constructor(private readonly options: { store: Store; clock: Clock }) {}

  /** A new mfa_token for a user whose password was right. */
  async start(sub: string, visitor: VisitorTag): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const pending: Pending = {
      sub,
      visitor,
      authTime: Math.floor(this.options.clock.now() / 1000),
    };
    await this.options.store.set(
      key(token),
      JSON.stringify(pending),
      MFA_TOKEN_SECONDS * 1000,
      visitor,
    );
    return token;
  }

  /** Checks a code against a token; a right code uses the token up. */
  async complete(token: string, code: string, visitor: VisitorTag): Promise<MfaOutcome> {
    const { store } = this.options;
    const value = TOKEN.test(token) ? await store.get(key(token)) : undefined;
    const pending = value === undefined ? undefined : (JSON.parse(value) as Pending);
    if (!pending || pending.visitor !== visitor) {
      return {
        ok: false,
        reason: 'token',
        detail: `This mfa_token is unknown, used, spent or older than ${MFA_TOKEN_SECONDS} s.`,
      };
    }
    if (textEqual(code, MFA_DEMO_CODE)) {
      // Exactly one caller completes: the token is gone once used.
      if (!(await store.delete(key(token)))) return this.complete('', code, visitor);
      return { ok: true, sub: pending.sub, authTime: pending.authTime };
    }
    const attempts = await store.increment(attemptsKey(token), MFA_TOKEN_SECONDS * 1000, visitor);
    const attemptsRemaining = Math.max(0, MFA_MAX_ATTEMPTS - attempts);
    if (attemptsRemaining === 0) await store.delete(key(token));
    return { ok: false, reason: 'code', attemptsRemaining };
  }
}
