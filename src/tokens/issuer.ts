import { createHash, randomUUID } from 'node:crypto';
import type { Config } from '../config';
import type { Principal } from './identities';
import { oauthError } from '../http/problems';
import {
  familyRevokedKey,
  isNumericDate,
  isSpecimen,
  issueAccessToken,
  revokedByMark,
  revokedKey,
  subjectRevokedKey,
  verifySignedJwt,
  type TokenOptions,
  boundJkt,
  type Binding,
  type Verdict,
} from './verify';
import { EPOCH_KEY, issuedBeforeEpoch } from '../store/epoch';
import { isVisitorTag, type VisitorTag } from '../http/visitors';
import type { ProblemCode } from '../scenarios/catalog';

/** The RFC 6749 §5.1 token response. */
export interface TokenResponse {
  access_token: string;
  /** `DPoP` when the request carried a DPoP proof and the token is bound to its key (RFC 9449 §5). */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  refresh_token?: string;
  scope: string;
}

/** What a token is issued for: a principal, through a client, with these scopes. */
export interface Grant {
  principal: Principal;
  clientId: string;
  scopes: string[];
  /** Access-token lifetime in seconds (already bounded by the caller). */
  expiresIn: number;
  /** Issue a refresh token too. */
  refresh: boolean;
  /** When the user last logged in (RFC 9470); absent for clients. */
  authTime?: number;
  /** How the user logged in (RFC 9470 `acr`), when the authorization-code flow knows it. */
  acr?: string;
  /** The visitor the tokens are issued to (the `vis` claim): revoke-all is per visitor. */
  visitor: VisitorTag;
  /** Shorter refresh lifetimes asked for by a test (never longer than configured). */
  refreshLimits?: RefreshLimits;
  /** The DPoP key the tokens are bound to (RFC 9449 §5, §6). */
  dpop?: DpopBinding;
}

/**
 * A token request's DPoP proof: its key's thumbprint, which the access token is bound to
 * (`cnf.jkt`), and whether the refresh token is bound too (public clients, RFC 9449 §5).
 */
export interface DpopBinding {
  jkt: string;
  refresh: boolean;
}

/**
 * A client test's shorter refresh lifetimes, in seconds: `idleSeconds` for the refresh token
 * issued now, `absoluteSeconds` from now for its whole family. They only ever shorten.
 */
export interface RefreshLimits {
  idleSeconds?: number;
  absoluteSeconds?: number;
}

/** The claims of a refresh token (a JWT with `typ: rt+jwt`, signed like access tokens). */
interface RefreshClaims {
  iss: string;
  sub: string;
  aud: string;
  iat: number;
  /** This token's end: the earlier of its idle end (iat + idle lifetime) and `fexp`. */
  exp: number;
  /** The family's absolute end, carried from token to token: rotation never extends it. */
  fexp?: number;
  jti: string;
  fid: string;
  client_id: string;
  scope: string;
  type: Principal['type'];
  auth_time?: number;
  acr?: string;
  vis?: string;
  rev?: number;
  /** The DPoP key a public client's refresh token is bound to (RFC 9449 §5). */
  cnf?: { jkt: string };
}

const usedKey = (jti: string) => `rt:used:${jti}`;

/**
 * The jti a seeded issuance gives its token of a kind (`at`, `rt`): an authorization code's
 * tokens are seeded by the code, so that its reuse can revoke them (RFC 6749 §4.1.2).
 */
export const seededJti = (kind: string, seed: string): string =>
  createHash('sha256').update(`${kind}:${seed}`).digest('base64url').slice(0, 32);

/**
 * What the first use of a refresh token leaves behind, enough to sign its answer again: when,
 * by which client, the lifetime asked, and the revoke-all mark then.
 */
interface RefreshUse {
  at: number;
  /** The authenticated client id, or '' for a client that did not authenticate. */
  client: string;
  expiresIn: number;
  rev?: number;
  /** The shorter lifetimes that use asked for, so that its retry gets the same pair. */
  limits?: RefreshLimits;
}

const isOptionalNumber = (v: unknown) => v === undefined || typeof v === 'number';

/** A family's absolute end: `fexp`, or for a token issued before `fexp` existed, its `exp`. */
const familyEnd = (claims: RefreshClaims): number => claims.fexp ?? claims.exp;

/** A stored use, or undefined for anything else (a specimen's marker, an older format). */
function parseUse(value: string | undefined): RefreshUse | undefined {
  if (value === undefined) return undefined;
  try {
    const use = JSON.parse(value) as Partial<RefreshUse>;
    return typeof use.at === 'number' &&
      typeof use.client === 'string' &&
      typeof use.expiresIn === 'number' &&
      isOptionalNumber(use.rev) &&
      (use.limits === undefined ||
        (typeof use.limits === 'object' &&
          use.limits !== null &&
          isOptionalNumber(use.limits.idleSeconds) &&
          isOptionalNumber(use.limits.absoluteSeconds)))
      ? (use as RefreshUse)
      : undefined;
  } catch {
    return undefined;
  }
}

const invalidGrant = (detail: string) => oauthError('invalid_grant', 'invalid_grant', detail);

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/**
 * Why an expired refresh token died: its family reached its absolute end (no rotation could
 * have saved it), or it lay unused past its idle lifetime while the family still had time.
 */
function refreshExpired(
  claims: RefreshClaims,
  now: number,
): { ok: false; detail: string; code: ProblemCode } {
  const end = familyEnd(claims);
  if (end <= now) {
    return {
      ok: false,
      code: 'refresh_token_absolute_expired',
      detail: `This refresh token's family reached its absolute lifetime at ${iso(end)}: no refresh extends it. Send the user back to log in; do not retry.`,
    };
  }
  return {
    ok: false,
    code: 'refresh_token_idle_expired',
    detail: `This refresh token expired at ${iso(claims.exp)}, unused for its idle lifetime of ${claims.exp - claims.iat} s (its family could have lived until ${iso(end)}). Send the user back to log in; do not retry.`,
  };
}

/**
 * Issues, rotates, revokes and introspects tokens. Refresh tokens rotate on every use; a used
 * one coming back revokes its whole family (RFC 9700 §4.14.2). All state is a handful of
 * expiring store keys, written only for tokens this server signed.
 */
export class TokenService {
  private readonly tolerance: number;

  constructor(
    private readonly options: TokenOptions & { tokens: Config['tokens'] },
    private readonly verifyAccess: (token: string, binding?: Binding) => Promise<Verdict>,
  ) {
    this.tolerance = options.jwt.clockToleranceSeconds;
  }

  /** The server clock in seconds (injectable, like every clock here). */
  nowSeconds(): number {
    return Math.floor(this.options.clock.now() / 1000);
  }

  /**
   * Issues an access token (and a refresh token when asked) for a grant. With a `seed`, the
   * token ids are `seededJti(kind, seed)`.
   */
  async issue(
    grant: Grant,
    family?: { fid: string; exp: number },
    seed?: string,
  ): Promise<TokenResponse> {
    // A token names the revoke-all mark it was issued after (`rev`): a later mark revokes it,
    // this one does not, so a login right after "log out everywhere" works with a true iat.
    const mark = await this.options.store.get(
      subjectRevokedKey(grant.principal.sub, grant.visitor),
    );
    return this.sign(grant, family, {
      at: this.options.clock.now(),
      ...(mark === undefined ? {} : { rev: Number(mark) }),
      ...(seed === undefined ? {} : { seed }),
    });
  }

  /**
   * Signs the response to a grant, touching no state: given the same `issuance` (time, mark and
   * seed), it mints the same tokens again, which is how a retried refresh gets the answer its
   * first use got without the server keeping that answer.
   */
  private sign(
    grant: Grant,
    family: { fid: string; exp: number } | undefined,
    issuance: { at: number; rev?: number; seed?: string },
  ): TokenResponse {
    const { principal } = grant;
    const rev = issuance.rev === undefined ? {} : { rev: issuance.rev };
    const iat = Math.floor(issuance.at / 1000);
    const seed = issuance.seed;
    const jti = (kind: string) => (seed === undefined ? randomUUID() : seededJti(kind, seed));
    const scope = grant.scopes.join(' ');
    const fid = grant.refresh ? (family?.fid ?? randomUUID()) : undefined;
    const { token } = issueAccessToken(this.options, {
      sub: principal.sub,
      clientId: grant.clientId,
      scope,
      expiresIn: grant.expiresIn,
      issuedAt: iat,
      jti: jti('at'),
      extra: {
        type: principal.type,
        vis: grant.visitor,
        ...rev,
        ...(fid ? { fid } : {}),
        ...(grant.authTime === undefined ? {} : { auth_time: grant.authTime }),
        ...(grant.acr === undefined ? {} : { acr: grant.acr }),
        ...(grant.dpop ? { cnf: { jkt: grant.dpop.jkt } } : {}),
      },
    });
    const response: TokenResponse = {
      access_token: token,
      token_type: grant.dpop ? 'DPoP' : 'Bearer',
      expires_in: grant.expiresIn,
      scope,
    };
    if (fid) {
      const ends = this.refreshEnds(iat, family?.exp, grant.refreshLimits);
      const claims: RefreshClaims = {
        iss: this.options.jwt.issuer,
        sub: principal.sub,
        aud: this.options.jwt.issuer,
        iat,
        exp: ends.exp,
        fexp: ends.fexp,
        jti: jti('rt'),
        fid,
        client_id: grant.clientId,
        scope,
        type: principal.type,
        ...(grant.authTime === undefined ? {} : { auth_time: grant.authTime }),
        ...(grant.acr === undefined ? {} : { acr: grant.acr }),
        vis: grant.visitor,
        ...rev,
        ...(grant.dpop?.refresh ? { cnf: { jkt: grant.dpop.jkt } } : {}),
      };
      response.refresh_token = this.options.keys.sign(claims, { typ: 'rt+jwt' });
    }
    return response;
  }

  /**
   * When a refresh token issued at `iat` ends: its family's absolute end (`fexp`: the family's,
   * or for a new family iat + REFRESH_TOKEN_TTL_SECONDS), and its own (`exp`: iat + the idle
   * lifetime, never past `fexp`). A test's limits only shorten either.
   */
  private refreshEnds(
    iat: number,
    family: number | undefined,
    limits: RefreshLimits | undefined,
  ): { exp: number; fexp: number } {
    const { refreshTtlSeconds, refreshIdleSeconds } = this.options.tokens;
    const absolute = Math.min(refreshTtlSeconds, limits?.absoluteSeconds ?? Infinity);
    const fexp = Math.min(family ?? iat + refreshTtlSeconds, iat + absolute);
    const idle = Math.min(refreshIdleSeconds, limits?.idleSeconds ?? Infinity);
    return { exp: Math.min(iat + idle, fexp), fexp };
  }

  /** Checks a refresh token without using it; the reason (and its code) when it is not usable. */
  private async checkRefresh(
    token: string,
  ): Promise<
    { ok: true; claims: RefreshClaims } | { ok: false; detail: string; code?: ProblemCode }
  > {
    const signed = verifySignedJwt(token, this.options.keys, this.options.clock);
    if (!signed.ok)
      return { ok: false, detail: `The refresh token is not usable: ${signed.detail}` };
    const typ = typeof signed.header.typ === 'string' ? signed.header.typ.toLowerCase() : '';
    if (typ !== 'rt+jwt') {
      return {
        ok: false,
        detail:
          'This is not a refresh token (typ is not rt+jwt); send the refresh_token from the token response.',
      };
    }
    const c = signed.claims;
    const strings = ['sub', 'jti', 'fid', 'client_id', 'scope', 'type'] as const;
    if (
      !strings.every((k) => typeof c[k] === 'string') ||
      !isNumericDate(c.exp) ||
      !isNumericDate(c.iat) ||
      (c.fexp !== undefined && !isNumericDate(c.fexp))
    ) {
      return { ok: false, detail: 'The refresh token lacks required claims.' };
    }
    const claims = c as unknown as RefreshClaims;
    if (claims.iss !== this.options.jwt.issuer) {
      return { ok: false, detail: 'The refresh token was issued by another issuer.' };
    }
    // No leeway: only this server reads its refresh tokens, on its own clock, so a test's
    // few-second lifetime really is a few seconds.
    const now = this.nowSeconds();
    if (claims.exp <= now) return refreshExpired(claims, now);
    const { epoch } = this.options;
    const [family, subject, epochValue] = await this.options.store.getMany([
      familyRevokedKey(claims.fid),
      subjectRevokedKey(claims.sub, claims.vis),
      ...(epoch ? [EPOCH_KEY] : []),
    ]);
    if (epoch) {
      const since = await epoch.observe(epochValue);
      if (issuedBeforeEpoch(claims.iat, since)) {
        return {
          ok: false,
          detail: `The refresh token was issued before ${new Date(since).toISOString()}, when this server's store lost its data (used refresh tokens included); sign in again.`,
        };
      }
    }
    if (family !== undefined) return { ok: false, detail: 'The refresh token family was revoked.' };
    if (revokedByMark(subject, claims.rev)) {
      return { ok: false, detail: 'Every token of this subject was revoked; sign in again.' };
    }
    return { ok: true, claims };
  }

  /** The refresh_token grant: rotate, or detect reuse and revoke the family. */
  async refresh(
    token: string,
    clientId: string | undefined,
    expiresIn: number,
    /** Who asks: pays for the used-token marker, whoever the family belongs to. */
    caller: VisitorTag,
    /** A test's shorter lifetimes for the rotated token and what remains of its family. */
    limits?: RefreshLimits,
    /** The request's DPoP proof key, and whether the client is public (RFC 9449 §5). */
    proof?: { jkt: string; publicClient: boolean },
  ): Promise<TokenResponse> {
    const checked = await this.checkRefresh(token);
    if (!checked.ok) {
      throw oauthError(checked.code ?? 'invalid_grant', 'invalid_grant', checked.detail);
    }
    const { claims } = checked;
    if (clientId !== undefined && clientId !== claims.client_id) {
      throw invalidGrant('The refresh token was issued to another client.');
    }
    // RFC 9449 §5: a bound refresh token needs a proof of its key; it stays bound to that key.
    const bound = boundJkt(claims as unknown as Record<string, unknown>);
    if (bound !== undefined && bound !== proof?.jkt) {
      throw oauthError(
        'grant_dpop_key_mismatch',
        'invalid_grant',
        proof
          ? 'This refresh token is bound to another DPoP key than the one that signed the proof.'
          : 'This refresh token is bound to a DPoP key: send a DPoP proof signed by that key.',
      );
    }
    // The used mark lives until this token ends, the family's revocation until the family ends
    // (never longer than a family can live, whatever a token says).
    const untilMs = (end: number) =>
      Math.min(end - this.nowSeconds(), this.options.tokens.refreshTtlSeconds) * 1000 +
      (this.tolerance + 1) * 1000;
    const ttlMs = untilMs(claims.exp);
    const familyTtlMs = untilMs(familyEnd(claims));
    const store = this.options.store;
    const grant: Grant = {
      principal: { sub: claims.sub, type: claims.type, scopes: claims.scope.split(' ') },
      clientId: claims.client_id,
      scopes: claims.scope.split(' ').filter(Boolean),
      expiresIn,
      refresh: true,
      authTime: claims.auth_time,
      acr: typeof claims.acr === 'string' ? claims.acr : undefined,
      // The family stays the visitor's it was first issued to, whoever refreshes it.
      visitor: isVisitorTag(claims.vis) ? claims.vis : caller,
      ...(limits === undefined ? {} : { refreshLimits: limits }),
      ...(proof
        ? { dpop: { jkt: proof.jkt, refresh: bound !== undefined || proof.publicClient } }
        : {}),
    };
    const family = { fid: claims.fid, exp: familyEnd(claims) };
    const mark = await store.get(subjectRevokedKey(claims.sub, grant.visitor));
    const use: RefreshUse = {
      at: this.options.clock.now(),
      client: clientId ?? '',
      expiresIn,
      ...(mark === undefined ? {} : { rev: Number(mark) }),
      ...(limits === undefined ? {} : { limits }),
    };
    // The new pair is signed from the old token and `use` alone (seeded by the old jti), then the
    // one write that uses the token up, last: one atomic claim (SET NX), which exactly one of two
    // uses wins. Nothing after it can fail and leave a used token behind an answer not given.
    const response = this.sign(grant, family, { ...use, seed: claims.jti });
    if (await store.setIfAbsent(usedKey(claims.jti), JSON.stringify(use), ttlMs, caller)) {
      return response;
    }
    // Used before. The same client again within the grace window is a retry (a lost response,
    // a 503 it was told to retry): it gets the very pair the first use got, re-signed from what
    // that use recorded, not reuse detection.
    const earlier = parseUse(await store.get(usedKey(claims.jti)));
    const graceMs = this.options.tokens.refreshReuseGraceSeconds * 1000;
    if (earlier && earlier.client === use.client && use.at - earlier.at <= graceMs) {
      // Signed with what the first use asked (its lifetime and limits), not what this retry asks.
      const { refreshLimits: _asked, ...rest } = grant;
      const retried: Grant = { ...rest, expiresIn: earlier.expiresIn };
      if (earlier.limits) retried.refreshLimits = earlier.limits;
      return this.sign(retried, family, {
        ...earlier,
        seed: claims.jti,
      });
    }
    // A shared specimen's family is never revoked: its trigger must answer the same next time.
    if (!isSpecimen(claims as unknown as Record<string, unknown>)) {
      await store.set(familyRevokedKey(claims.fid), 'reused', familyTtlMs, caller);
    }
    throw oauthError(
      'refresh_token_reused',
      'invalid_grant',
      'This refresh token was already used once. The whole token family is now revoked; sign in again.',
    );
  }

  /**
   * RFC 7009 revocation: an access token's jti or a refresh token's family goes on the denylist
   * until it would expire anyway. Unknown, invalid or foreign tokens are ignored (the answer is
   * 200 either way, so it reveals nothing).
   */
  async revoke(token: string, clientId: string | undefined, caller: VisitorTag): Promise<void> {
    const signed = verifySignedJwt(token, this.options.keys, this.options.clock);
    if (!signed.ok) return;
    const c = signed.claims;
    if (clientId !== undefined && c.client_id !== clientId) return;
    // Shared specimens are everyone's: revoking one would change what every visitor sees.
    if (isSpecimen(c)) return;
    const typ = typeof signed.header.typ === 'string' ? signed.header.typ.toLowerCase() : '';
    // A refresh token's family lives until its absolute end (`fexp`), past the token's own exp.
    const end = typ === 'rt+jwt' && typeof c.fexp === 'number' ? c.fexp : c.exp;
    const remaining = typeof end === 'number' ? end - this.nowSeconds() + this.tolerance + 1 : 0;
    if (remaining <= 0) return;
    if ((typ === 'at+jwt' || typ === 'application/at+jwt') && typeof c.jti === 'string') {
      await this.options.store.set(revokedKey(c.jti), 'revoked', remaining * 1000, caller);
    } else if (typ === 'rt+jwt' && typeof c.fid === 'string') {
      await this.options.store.set(familyRevokedKey(c.fid), 'revoked', remaining * 1000, caller);
    }
  }

  /**
   * "Log out everywhere", for one visitor: every token of the subject issued to `visitor` up to
   * now stops working. The mark is the current time in ms (one more than the last mark, when
   * called twice within a millisecond); tokens carry the mark they were issued after, so the
   * mark never needs to lie about time, and repeating the call is harmless.
   */
  async revokeSubject(sub: string, visitor: unknown, caller: VisitorTag): Promise<number> {
    const key = subjectRevokedKey(sub, visitor);
    const previous = await this.options.store.get(key);
    const mark = Math.max(
      this.options.clock.now(),
      previous === undefined ? 0 : Number(previous) + 1,
    );
    const { tokens } = this.options;
    const ttl = (tokens.refreshTtlSeconds + tokens.accessMaxTtlSeconds + this.tolerance + 1) * 1000;
    await this.options.store.set(key, String(mark), ttl, caller);
    return mark;
  }

  /** RFC 7662 introspection: `{active: false}` for anything not currently usable. */
  async introspect(token: string): Promise<Record<string, unknown>> {
    const access = await this.verifyAccess(token, 'any');
    if (access.ok) {
      const { fid: _fid, ...claims } = access.claims;
      // RFC 7662 §2.2: token_type is the RFC 6749 §7.1 type; token_use says which token this
      // is, in the words of the RFC 7009 §4.1.2 token type hints (not a registered member).
      return {
        active: true,
        token_type: boundJkt(claims) === undefined ? 'Bearer' : 'DPoP',
        token_use: 'access_token',
        username: claims.sub,
        ...claims,
      };
    }
    const refresh = await this.checkRefresh(token);
    if (!refresh.ok) return { active: false };
    if ((await this.options.store.get(usedKey(refresh.claims.jti))) !== undefined)
      return { active: false };
    const { fid: _fid, ...claims } = refresh.claims;
    // A refresh token has no RFC 6749 §7.1 type (it is never presented to a resource).
    return { active: true, token_use: 'refresh_token', username: claims.sub, ...claims };
  }
}
