/**
 * The stateless pieces of the login and consent pages: the anti-forgery token each form carries
 * and the login cookie that remembers who logged in. Both are HMACs under a key derived from
 * the session secret, so any instance that shares the secret accepts them, and neither writes
 * anything to the store: an anonymous GET /authorize creates no state.
 */
import { createHmac } from 'node:crypto';
import { textEqual } from '../auth/compare';

/** How long a form stays usable after the page was served. */
export const FORM_LIFETIME_SECONDS = 600;

export interface Login {
  sub: string;
  /** When the password was typed, seconds (OpenID Connect auth_time). */
  authTime: number;
}

export interface FormKeys {
  /**
   * A token for a form: bound to what it is for (`purpose`), the visitor, what the form carries
   * (`binding`: the authorization request, or the pending request's id) and the time.
   */
  formToken(purpose: string, visitor: string, binding: string, nowSeconds: number): string;
  /** Whether a posted token is one `formToken` made for these, less than the lifetime ago. */
  checkFormToken(
    token: unknown,
    purpose: string,
    visitor: string,
    binding: string,
    nowSeconds: number,
  ): boolean;
  /** The login cookie's value for a login, valid until `expires` (seconds). */
  loginCookie(login: Login, expires: number): string;
  /** The login a cookie value names, if it is one of ours and unexpired. */
  readLoginCookie(value: unknown, nowSeconds: number): Login | undefined;
}

export function formKeys(secret: Buffer): FormKeys {
  const key = createHmac('sha256', secret).update('four-oh-one authorize forms').digest();
  const mac = (text: string) => createHmac('sha256', key).update(text).digest('base64url');
  return {
    formToken(purpose, visitor, binding, now) {
      return `${now}.${mac(`form|${purpose}|${visitor}|${now}|${binding}`)}`;
    },
    checkFormToken(token, purpose, visitor, binding, now) {
      if (typeof token !== 'string' || token.length > 80) return false;
      const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
      if (!m) return false;
      const at = Number(m[1]);
      if (at > now + 5 || now - at > FORM_LIFETIME_SECONDS) return false;
      return textEqual(m[2] ?? '', mac(`form|${purpose}|${visitor}|${at}|${binding}`));
    },
    loginCookie(login, expires) {
      const payload = Buffer.from(JSON.stringify([login.sub, login.authTime, expires])).toString(
        'base64url',
      );
      return `${payload}.${mac(`login|${payload}`)}`;
    },
    readLoginCookie(value, now) {
      if (typeof value !== 'string' || value.length > 512) return undefined;
      const [payload = '', signature = ''] = value.split('.');
      if (!textEqual(signature, mac(`login|${payload}`))) return undefined;
      try {
        const [sub, authTime, expires] = JSON.parse(
          Buffer.from(payload, 'base64url').toString('utf8'),
        ) as unknown[];
        if (typeof sub !== 'string' || typeof authTime !== 'number') return undefined;
        if (typeof expires !== 'number' || expires <= now) return undefined;
        return { sub, authTime };
      } catch {
        return undefined;
      }
    },
  };
}
