/**
 * The state of the authorization-code flow, all of it expiring store entries charged to the
 * visitor that caused them: a pending request awaiting consent (written only once the user has
 * logged in), and the authorization code (stored as a digest, never as itself). Both are used
 * once, by one atomic step: `delete` for the pending request (exactly one caller sees it
 * existed), `setIfAbsent` of a marker for the code, which also remembers what to revoke when the
 * code comes back (RFC 6749 §4.1.2).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Config } from '../config';
import { oauthError } from '../http/problems';
import type { VisitorTag } from '../http/visitors';
import type { Clock, Store } from '../store';
import type { Principal } from '../tokens/identities';
import {
  seededJti,
  type DpopBinding,
  type TokenResponse,
  type TokenService,
} from '../tokens/issuer';
import type { KeyRing } from '../tokens/keys';
import { familyRevokedKey, revokedKey } from '../tokens/verify';
import type { ProblemCode } from '../scenarios/catalog';

/** How long a code may be exchanged (RFC 6749 §4.1.2: short, at most ten minutes). */
export const CODE_LIFETIME_SECONDS = 60;
/** How long a code is remembered, to tell "expired" and "reused" from "unknown". */
const CODE_MEMORY_MS = 10 * 60 * 1000;
/** How long a login may wait on the consent page. */
const PENDING_MS = 10 * 60 * 1000;
/** A code or pending id: 32 random bytes, base64url. */
const ID = /^[A-Za-z0-9_-]{43}$/;

/** RFC 9470 `acr`: a login remembered by the login cookie, or a password typed just now. */
export const ACR_REMEMBERED = 'urn:four-oh-one:acr:remembered-login';
export const ACR_PASSWORD = 'urn:four-oh-one:acr:password';

/** What consent is asked for and a code stands for: the request, granted to a logged-in user. */
export interface Authorization {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state?: string;
  nonce?: string;
  codeChallenge: string;
  sub: string;
  type: Principal['type'];
  authTime: number;
  acr: string;
}

interface CodeEntry extends Authorization {
  /** When the code stops being exchangeable, seconds. */
  exp: number;
  /** The visitor who logged in: the tokens are theirs (`vis`). */
  visitor: VisitorTag;
}

const digest = (code: string) => createHash('sha256').update(code).digest('base64url');
const codeKey = (hash: string) => `oauth:code:${hash}`;
const usedKey = (hash: string) => `oauth:code-used:${hash}`;
const pendingKey = (id: string) => `oauth:pending:${id}`;
const newId = () => randomBytes(32).toString('base64url');

/** The exchange asked at the token endpoint (RFC 6749 §4.1.3, RFC 7636 §4.5). */
export interface CodeExchange {
  code: string;
  redirectUri: string | undefined;
  codeVerifier: string | undefined;
  /** The client that authenticated, or the public client that named itself. */
  clientId: string;
}

export interface CodeFlowOptions {
  store: Store;
  clock: Clock;
  config: Pick<Config, 'jwt' | 'tokens'>;
  keys: KeyRing;
  service: TokenService;
}

const invalidGrant = (code: ProblemCode, detail: string) =>
  oauthError(code, 'invalid_grant', detail);

export class CodeFlow {
  constructor(private readonly options: CodeFlowOptions) {}

  private now(): number {
    return Math.floor(this.options.clock.now() / 1000);
  }

  /** Stores a logged-in user's request awaiting consent; returns its id for the consent form. */
  async holdForConsent(authorization: Authorization, visitor: VisitorTag): Promise<string> {
    const id = newId();
    await this.options.store.set(
      pendingKey(id),
      JSON.stringify(authorization),
      PENDING_MS,
      visitor,
    );
    return id;
  }

  /** The pending request, without using it up (the consent form posts its id). */
  async pending(id: unknown): Promise<Authorization | undefined> {
    if (typeof id !== 'string' || !ID.test(id)) return undefined;
    const value = await this.options.store.get(pendingKey(id));
    return value === undefined ? undefined : (JSON.parse(value) as Authorization);
  }

  /** Uses the pending request up: true for exactly one caller. */
  async settle(id: string): Promise<boolean> {
    return this.options.store.delete(pendingKey(id));
  }

  /** Issues a code for an approved request (60 seconds, once). */
  async issueCode(authorization: Authorization, visitor: VisitorTag): Promise<string> {
    const code = newId();
    const entry: CodeEntry = {
      ...authorization,
      exp: this.now() + CODE_LIFETIME_SECONDS,
      visitor,
    };
    await this.options.store.set(
      codeKey(digest(code)),
      JSON.stringify(entry),
      CODE_MEMORY_MS,
      visitor,
    );
    return code;
  }

  /**
   * The authorization_code grant: the code's checks in RFC 6749 §4.1.3 and RFC 7636 §4.6 order,
   * after the one write that uses it up. Tokens are seeded by the code's digest, so that a
   * second exchange can find and revoke them.
   */
  async exchange(
    asked: CodeExchange,
    caller: VisitorTag,
    /** The token request's DPoP proof key (RFC 9449 §5): the tokens are bound to it. */
    dpop?: DpopBinding,
  ): Promise<TokenResponse & { id_token?: string }> {
    const { store } = this.options;
    if (!ID.test(asked.code)) {
      throw invalidGrant('authorization_code_invalid', 'This is not a code this server issued.');
    }
    const hash = digest(asked.code);
    const value = await store.get(codeKey(hash));
    if (value === undefined) {
      throw invalidGrant(
        'authorization_code_invalid',
        'No such code: never issued here, or issued more than ten minutes ago.',
      );
    }
    const entry = JSON.parse(value) as CodeEntry;
    if (!(await store.setIfAbsent(usedKey(hash), 'used', CODE_MEMORY_MS, caller))) {
      await this.revokeIssued(hash, caller);
      throw invalidGrant(
        'authorization_code_reused',
        'This code was already exchanged. The tokens issued for it are now revoked; start a new authorization.',
      );
    }
    const now = this.now();
    if (entry.exp <= now) {
      throw invalidGrant(
        'authorization_code_expired',
        `The code expired at ${new Date(entry.exp * 1000).toISOString()}, ${CODE_LIFETIME_SECONDS} s after it was issued; start a new authorization.`,
      );
    }
    if (asked.clientId !== entry.clientId) {
      throw invalidGrant(
        'authorization_code_client_mismatch',
        `The code was issued to ${entry.clientId}, not to the client exchanging it.`,
      );
    }
    if (asked.redirectUri !== entry.redirectUri) {
      throw invalidGrant(
        'redirect_uri_mismatch',
        asked.redirectUri === undefined
          ? 'redirect_uri is required: the authorization request sent one.'
          : 'redirect_uri differs from the one in the authorization request.',
      );
    }
    const verifier = asked.codeVerifier ?? '';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || challenge !== entry.codeChallenge) {
      throw invalidGrant(
        'pkce_verifier_mismatch',
        asked.codeVerifier === undefined
          ? 'code_verifier is required (PKCE, RFC 7636 4.5).'
          : 'BASE64URL(SHA-256(code_verifier)) is not the code_challenge of the authorization request.',
      );
    }
    const { config } = this.options;
    const expiresIn = config.tokens.accessTtlSeconds;
    const response = await this.options.service.issue(
      {
        principal: { sub: entry.sub, type: entry.type, scopes: entry.scopes },
        clientId: entry.clientId,
        scopes: entry.scopes,
        expiresIn,
        refresh: true,
        authTime: entry.authTime,
        acr: entry.acr,
        visitor: entry.visitor,
        ...(dpop ? { dpop } : {}),
      },
      { fid: seededJti('fid', hash), exp: now + config.tokens.refreshTtlSeconds },
      hash,
    );
    if (!entry.scopes.includes('openid')) return response;
    return { ...response, id_token: this.idToken(entry, response.access_token, now, expiresIn) };
  }

  /** RFC 6749 §4.1.2: a code used twice revokes what its first use was given. */
  private async revokeIssued(hash: string, caller: VisitorTag): Promise<void> {
    const { config, store } = this.options;
    const tolerance = config.jwt.clockToleranceSeconds + 1;
    await store.set(
      revokedKey(seededJti('at', hash)),
      'code reused',
      (config.tokens.accessMaxTtlSeconds + tolerance) * 1000,
      caller,
    );
    await store.set(
      familyRevokedKey(seededJti('fid', hash)),
      'code reused',
      (config.tokens.refreshTtlSeconds + tolerance) * 1000,
      caller,
    );
  }

  /**
   * The OpenID Connect id_token (Core §2, §3.1.3.6): for the client (`aud` is its id), signed
   * with the ES256 key the JWKS publishes, `typ: JWT`. It says who logged in and when; it is
   * never an access token, which is why it has neither this API's audience nor `at+jwt`.
   */
  private idToken(entry: CodeEntry, accessToken: string, now: number, expiresIn: number): string {
    const { keys, config } = this.options;
    const key = keys.firstOf('ES256');
    if (!key) throw new Error('CodeFlow: the key ring has no ES256 key');
    // Core §3.1.3.6: the left half of the SHA-256 of the access token.
    const atHash = createHash('sha256').update(accessToken).digest().subarray(0, 16);
    const claims = {
      iss: config.jwt.issuer,
      sub: entry.sub,
      aud: entry.clientId,
      azp: entry.clientId,
      iat: now,
      exp: now + expiresIn,
      auth_time: entry.authTime,
      acr: entry.acr,
      at_hash: atHash.toString('base64url'),
      ...(entry.nonce === undefined ? {} : { nonce: entry.nonce }),
      ...(entry.scopes.includes('profile') ? { name: entry.sub } : {}),
    };
    return keys.sign(claims, { typ: 'JWT' }, key);
  }
}
