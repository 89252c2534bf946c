import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { VisitorTag } from '../http/visitors';
import type { Clock, Store } from '../store';
import type { Oauth1TokenRecord } from './oauth1';

/**
 * The three legs of OAuth 1.0a (RFC 5849 §2) as a server keeps them: temporary credentials
 * (§2.1) that the resource owner authorizes (§2.2) and the client exchanges, once, with the
 * verifier, for token credentials (§2.3). Everything lives in the store, charged to the visitor
 * whose request wrote it, and expires: temporary credentials in 10 minutes, token credentials in
 * a day. Only a request signed with the client credentials creates any of it.
 */

/** How long temporary credentials wait for the authorization and the exchange. */
export const OAUTH1_TEMPORARY_TTL_MS = 10 * 60_000;
/** How long issued token credentials last in the sandbox (RFC 5849 gives them no expiry). */
export const OAUTH1_TOKEN_TTL_MS = 24 * 60 * 60_000;
/** The longest oauth_callback taken. */
export const OAUTH1_MAX_CALLBACK_LENGTH = 512;

const TEMPORARY_PREFIX = 'tmp_';
const TOKEN_PREFIX = 'tok_';
/** What an issued token looks like: its prefix and 32 base64url characters (24 random bytes). */
const ISSUED = /^(tmp_|tok_)[A-Za-z0-9_-]{32}$/;

/** Temporary credentials as stored: the secret, the callback, and the authorization once given. */
interface Temporary {
  secret: string;
  callback: string;
  expiresAt: number;
  /** Set by the resource owner's approval (§2.2). */
  verifier?: string;
  user?: string;
}

/** Issued token credentials as stored. */
interface TokenCredentials {
  secret: string;
  user: string;
}

/** A pending authorization as the authorization page shows it. */
export interface PendingAuthorization {
  callback: string;
  authorized: boolean;
}

/** What the token request's exchange gave: token credentials, or why not. */
export type Exchange =
  | { token: string; secret: string; user: string }
  | { refused: 'unknown' | 'not_authorized' | 'verifier' };

const random = (bytes: number) => randomBytes(bytes).toString('base64url');
const sha256 = (text: string) => createHash('sha256').update(text).digest();
const tempKey = (token: string) => `oauth1:temp:${token}`;
const tokenKey = (token: string) => `oauth1:token:${token}`;

/**
 * Whether `callback` may receive the resource owner after the authorization (§2.1): `oob`
 * (the page shows the verifier), this server's own callback page, or a loopback address, where
 * a client under test listens. Any other origin is refused: the sandbox does not redirect a
 * browser to an arbitrary site a stranger named.
 */
export function callbackAllowed(callback: string, publicUrl: string): boolean {
  if (callback === 'oob') return true;
  if (callback.length > OAUTH1_MAX_CALLBACK_LENGTH) return false;
  let url: URL;
  try {
    url = new URL(callback);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (url.username !== '' || url.password !== '') return false;
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  return loopback || url.origin === new URL(publicUrl).origin;
}

export class Oauth1Grants {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** New temporary credentials for `callback` (§2.1), charged to `owner`. */
  async issueTemporary(
    callback: string,
    owner: VisitorTag,
  ): Promise<{ token: string; secret: string }> {
    const token = TEMPORARY_PREFIX + random(24);
    const secret = random(24);
    const record: Temporary = {
      secret,
      callback,
      expiresAt: this.clock.now() + OAUTH1_TEMPORARY_TTL_MS,
    };
    await this.store.set(tempKey(token), JSON.stringify(record), OAUTH1_TEMPORARY_TTL_MS, owner);
    return { token, secret };
  }

  /**
   * The credentials an oauth_token names, for the signature check: temporary or token
   * credentials issued here, or undefined (nothing is read for a token that cannot be ours).
   */
  async lookup(token: string): Promise<Oauth1TokenRecord | undefined> {
    if (!ISSUED.test(token)) return undefined;
    if (token.startsWith(TEMPORARY_PREFIX)) {
      const temp = await this.temporary(token);
      return temp && { secret: temp.secret, revoked: false, kind: 'temporary' };
    }
    const raw = await this.store.get(tokenKey(token));
    if (raw === undefined) return undefined;
    const issued = JSON.parse(raw) as TokenCredentials;
    return { secret: issued.secret, revoked: false, kind: 'token', user: issued.user };
  }

  /** What the authorization page shows for temporary credentials, if they are pending. */
  async pending(token: string): Promise<PendingAuthorization | undefined> {
    const temp = ISSUED.test(token) ? await this.temporary(token) : undefined;
    return temp && { callback: temp.callback, authorized: temp.verifier !== undefined };
  }

  /**
   * The resource owner's approval (§2.2): a verifier for the client, once. Undefined when the
   * temporary credentials are unknown, expired, or authorized already.
   */
  async authorize(
    token: string,
    user: string,
    owner: VisitorTag,
  ): Promise<{ verifier: string; callback: string } | undefined> {
    const temp = ISSUED.test(token) ? await this.temporary(token) : undefined;
    if (temp === undefined || temp.verifier !== undefined) return undefined;
    const verifier = random(16);
    const ttl = temp.expiresAt - this.clock.now();
    if (ttl <= 0) return undefined;
    const record: Temporary = { ...temp, verifier, user };
    await this.store.set(tempKey(token), JSON.stringify(record), ttl, owner);
    return { verifier, callback: temp.callback };
  }

  /** The resource owner's refusal: the temporary credentials are gone. */
  async deny(token: string): Promise<boolean> {
    return ISSUED.test(token) && token.startsWith(TEMPORARY_PREFIX)
      ? this.store.delete(tempKey(token))
      : false;
  }

  /**
   * The token request (§2.3): authorized temporary credentials and their verifier, compared in
   * constant time, give token credentials once. A wrong verifier spends nothing; the exchange
   * removes the temporary credentials before it issues, so two racing requests get one token.
   */
  async exchange(token: string, verifier: string, owner: VisitorTag): Promise<Exchange> {
    const temp = ISSUED.test(token) ? await this.temporary(token) : undefined;
    if (temp === undefined) return { refused: 'unknown' };
    if (temp.verifier === undefined || temp.user === undefined) {
      return { refused: 'not_authorized' };
    }
    if (!timingSafeEqual(sha256(verifier), sha256(temp.verifier))) return { refused: 'verifier' };
    if (!(await this.store.delete(tempKey(token)))) return { refused: 'unknown' };
    const issued = { token: TOKEN_PREFIX + random(24), secret: random(24), user: temp.user };
    const record: TokenCredentials = { secret: issued.secret, user: issued.user };
    await this.store.set(
      tokenKey(issued.token),
      JSON.stringify(record),
      OAUTH1_TOKEN_TTL_MS,
      owner,
    );
    return issued;
  }

  private async temporary(token: string): Promise<Temporary | undefined> {
    if (!token.startsWith(TEMPORARY_PREFIX)) return undefined;
    const raw = await this.store.get(tempKey(token));
    if (raw === undefined) return undefined;
    const temp = JSON.parse(raw) as Temporary;
    return temp.expiresAt > this.clock.now() ? temp : undefined;
  }
}
