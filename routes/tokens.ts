import { Router, type Request, type RequestHandler, type Response } from 'express';
import { clientAuth } from '../middleware/client-auth';
import { sentPath } from '../middleware/dpop-auth';
import { jsonOrForm, secondsParam } from '../src/http/body';
import type { Config } from '../src/config';
import {
  PUBLIC_CLIENT_ID,
  type AccountState,
  type Client,
  type Directory,
  type Principal,
} from '../src/tokens/identities';
import type { Grant, RefreshLimits, TokenService } from '../src/tokens/issuer';
import type { CodeFlow } from '../src/oauth/codes';
import type { KeyRing } from '../src/tokens/keys';
import { invalidClient, methodNotAllowed, oauthError, problem } from '../src/http/problems';
import { defaultScenarios, type ProblemCode } from '../src/scenarios';
import type { SpecimenBook } from '../src/tokens/specimens';
import { isSpecimen } from '../src/tokens/verify';
import type { Visitors } from '../src/http/visitors';
import type { Clock, Store } from '../src/store';
import {
  claimProof,
  DPOP_ALGS,
  proofFields,
  proofKey,
  verifyProof,
  type DpopNonces,
} from '../src/tokens/dpop';

export interface TokenRoutesDeps {
  config: Config;
  directory: Directory;
  service: TokenService;
  keys: KeyRing;
  specimens: SpecimenBook;
  bearerAuth: RequestHandler;
  /** The admin role and scope, as /admin needs them: revoke-all for another subject needs them too. */
  requireAdmin: RequestHandler[];
  /** Throttles refused client credentials and passwords (middleware/client-auth.ts). */
  credentialLimit: RequestHandler;
  visitors: Visitors;
  /** The authorization_code grant (src/oauth/codes.ts). */
  codeFlow: CodeFlow;
  /** DPoP at the token endpoint (RFC 9449 §5): the clock, nonces and the replay cache. */
  clock: Clock;
  store: Store;
  nonces: DpopNonces;
  /** The specimen key: its proofs are checked against the replay cache, never written to it. */
  dpopReadOnlyKey?: (jkt: string) => boolean;
}

const invalidRequest = (detail: string) => oauthError('invalid_request', 'invalid_request', detail);

/** A body parameter that must be a string when present (forms always are; JSON may lie). */
function param(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidRequest(`"${name}" must be a string.`);
  return value;
}

function required(body: Record<string, unknown>, name: string): string {
  const value = param(body, name);
  if (value === undefined || value === '') throw invalidRequest(`"${name}" is required.`);
  return value;
}

/** The password grant's refusal of a right password for an account that may not sign in. */
const GRANT_REFUSALS: Record<AccountState, [ProblemCode, string, string]> = {
  locked: ['grant_account_locked', 'invalid_grant', 'This account is locked.'],
  disabled: ['grant_account_disabled', 'invalid_grant', 'This account is disabled.'],
  password_expired: [
    'grant_password_expired',
    'invalid_grant',
    'This account’s password has expired: change it first.',
  ],
  mfa_required: [
    'grant_mfa_required',
    'mfa_required',
    'This account needs a second factor, which the password grant cannot carry.',
  ],
};

const ALL_SCOPES = ['data:read', 'admin'];

/**
 * The `client_id` a token says it was issued to, read without verifying it: only to decide
 * whether that client must authenticate before the token is even checked (RFC 6749 §6, RFC 7009
 * §2.1). A forged claim gains nothing: the token is verified afterwards, for the client named.
 */
function claimedClientId(token: string): unknown {
  const payload = token.split('.')[1];
  if (payload === undefined || payload.length > 8192) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null
      ? (claims as Record<string, unknown>).client_id
      : undefined;
  } catch {
    return undefined;
  }
}
/**
 * The longest refresh lifetime a test may ask for with `refresh_idle_seconds` or
 * `refresh_absolute_seconds`: they exist to watch a refresh token die, so they only shorten.
 */
export const MAX_REFRESH_TEST_SECONDS = 300;

/** The refresh lifetimes a test asks for (1 s to MAX_REFRESH_TEST_SECONDS), if any. */
function refreshLimits(body: Record<string, unknown>): { refreshLimits?: RefreshLimits } {
  const idle = secondsParam(body, 'refresh_idle_seconds', MAX_REFRESH_TEST_SECONDS, invalidRequest);
  const absolute = secondsParam(
    body,
    'refresh_absolute_seconds',
    MAX_REFRESH_TEST_SECONDS,
    invalidRequest,
  );
  if (idle === undefined && absolute === undefined) return {};
  return {
    refreshLimits: {
      ...(idle === undefined ? {} : { idleSeconds: idle }),
      ...(absolute === undefined ? {} : { absoluteSeconds: absolute }),
    },
  };
}

/** The longest subject revoke-all accepts: the demo users' names are far shorter. */
const MAX_SUB_LENGTH = 128;

/**
 * The token endpoint, revocation, introspection, revoke-all, the metadata documents and the
 * specimen tokens: everything a client test needs to watch a token be born, expire, rotate and
 * die (RFC 6749, 7009, 7662, 8414, 9728, 9700).
 */
export function tokensRouter(deps: TokenRoutesDeps): Router {
  const { config, directory, service } = deps;
  const router = Router();
  const issuer = config.jwt.issuer;
  const tokenOrigin = new URL(config.publicUrl).origin;

  /**
   * The token request's DPoP proof, when it has one (RFC 9449 §5): checked for POST to this
   * endpoint (no ath here), with a server nonce when the request says `dpop_nonce=required`,
   * then its jti claimed in the replay cache. Its key's thumbprint binds the tokens.
   */
  async function tokenProof(
    req: Request,
    res: Response,
    body: Record<string, unknown>,
  ): Promise<string | undefined> {
    const proofs = proofFields(req.rawHeaders);
    const demand = param(body, 'dpop_nonce');
    if (demand !== undefined && demand !== 'required') {
      throw invalidRequest('"dpop_nonce" may only be "required".');
    }
    if (proofs.length === 0) return undefined;
    const proof = verifyProof({
      proofs,
      method: req.method,
      url: `${tokenOrigin}${sentPath(req, res)}`,
      now: Math.floor(deps.clock.now() / 1000),
      ...(demand === 'required' ? { nonce: deps.nonces.check } : {}),
    });
    if (!proof.ok) {
      if (proof.failure === 'nonce') {
        throw oauthError('grant_dpop_nonce_required', 'use_dpop_nonce', proof.detail, {
          'DPoP-Nonce': deps.nonces.issue(),
        });
      }
      throw oauthError('grant_dpop_proof_invalid', 'invalid_dpop_proof', proof.detail);
    }
    const fresh = deps.dpopReadOnlyKey?.(proof.jkt)
      ? (await deps.store.get(proofKey(proof.jkt, proof.jti))) === undefined
      : await claimProof(deps.store, proof, deps.visitors.of(req));
    if (!fresh) {
      throw oauthError(
        'grant_dpop_proof_invalid',
        'invalid_dpop_proof',
        'A proof with this jti and key was already used: make a new proof for every request.',
      );
    }
    return proof.jkt;
  }
  const maxTtl = config.tokens.accessMaxTtlSeconds;

  /** `expires_in` asked by the client: 1 s up to the configured maximum. */
  function lifetime(body: Record<string, unknown>): number {
    return (
      secondsParam(body, 'expires_in', maxTtl, invalidRequest) ?? config.tokens.accessTtlSeconds
    );
  }

  /** The scopes granted: all the principal's by default, or the subset asked for. */
  function scopesFor(principal: Principal, body: Record<string, unknown>): string[] {
    const asked = param(body, 'scope');
    if (asked === undefined || asked.trim() === '') return principal.scopes;
    const wanted = [...new Set(asked.trim().split(/ +/))];
    const refused = wanted.filter((s) => !principal.scopes.includes(s));
    if (refused.length > 0) {
      throw oauthError(
        'invalid_scope',
        'invalid_scope',
        `Not granted to ${principal.sub}: ${refused.map((s) => s.slice(0, 32)).join(', ')}.`.replace(
          /"/g,
          '',
        ),
      );
    }
    return wanted;
  }

  const noStore: RequestHandler = function noStore(_req, res, next) {
    // RFC 6749 §5.1: token responses must not be cached.
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    next();
  };

  // Built once: every OAuth endpoint takes JSON or a form, is never cached, and authenticates
  // its client in one of the ways RFC 6749 §2.3 allows.
  const parseBody = jsonOrForm();
  const oauthRequest = [noStore, ...parseBody];
  const optionalClient = clientAuth({ directory, required: false, publicClients: true });
  const requiredClient = clientAuth({ directory, required: true });

  /**
   * The client a refresh or a revocation acts for: the confidential client that authenticated,
   * else the public client. A token issued to a confidential client is only ever used by that
   * client authenticating (RFC 6749 §6, RFC 7009 §2.1): without its authentication, 401
   * invalid_client with a Basic challenge, before the token is looked at.
   */
  function actingClient(client: Client | undefined, token: string, what: string): string {
    if (client && !client.public) return client.clientId;
    if (directory.isConfidential(claimedClientId(token))) {
      throw invalidClient(
        `This ${what} was issued to a confidential client: send that client's authentication with it (HTTP Basic, client_id and client_secret, or api_key and api_secret).`,
      );
    }
    return PUBLIC_CLIENT_ID;
  }

  router
    .route('/auth/token')
    .post(...oauthRequest, deps.credentialLimit, optionalClient, async function token(req, res) {
      const body = req.body as Record<string, unknown>;
      const client = res.locals.client;
      const visitor = deps.visitors.of(req);
      const grantType = param(body, 'grant_type');
      const expiresIn = lifetime(body);
      const limits = refreshLimits(body);
      const jkt = await tokenProof(req, res, body);
      // RFC 9449 §5: refresh tokens of public clients are bound to the proof's key too.
      const publicClient = !client || client.public === true;
      const dpop = jkt === undefined ? undefined : { jkt, refresh: publicClient };
      /** Answers with tokens for this grant, scoped as asked, on this request's lifetimes. */
      const issue = async (
        grant: Pick<Grant, 'principal' | 'clientId' | 'refresh' | 'authTime'>,
      ) => {
        const scopes = scopesFor(grant.principal, body);
        res.json(
          await service.issue({
            ...grant,
            scopes,
            expiresIn,
            visitor,
            ...limits,
            ...(dpop ? { dpop } : {}),
          }),
        );
      };

      // The article's shape: JSON {"api_key", "api_secret"}, no grant_type. It is the
      // client_credentials grant by another name; it also gets a refresh token so that a
      // refresh helper has something to refresh, bound to this confidential client: refreshing
      // it needs the client's authentication again (RFC 6749 §6).
      if (
        grantType === undefined &&
        (body.api_key !== undefined || body.api_secret !== undefined)
      ) {
        if (!client) throw invalidRequest('Send both "api_key" and "api_secret".');
        await issue({ principal: client, clientId: client.clientId, refresh: true });
        return;
      }
      switch (grantType) {
        case undefined:
          throw invalidRequest(
            '"grant_type" is required (or send the JSON {"api_key", "api_secret"}).',
          );
        case 'client_credentials': {
          // RFC 6749 §4.4: for confidential clients only; a public client cannot authenticate.
          if (!client || client.public) {
            throw invalidClient(
              client
                ? `client_credentials needs a client that authenticates; ${PUBLIC_CLIENT_ID} is a public client with no secret.`
                : 'client_credentials needs client authentication.',
            );
          }
          if (client.scopes.length === 0) {
            throw oauthError(
              'unauthorized_client',
              'unauthorized_client',
              `${client.clientId} acts only for users (the authorization_code grant); it has no scopes of its own.`,
            );
          }
          // RFC 6749 §4.4.3: no refresh token for client credentials.
          await issue({ principal: client, clientId: client.clientId, refresh: false });
          return;
        }
        case 'password': {
          const username = required(body, 'username');
          const password = required(body, 'password');
          const signIn = directory.signIn(username, password);
          if (!signIn)
            throw oauthError(
              'invalid_grant',
              'invalid_grant',
              'The username or password is wrong.',
            );
          if (signIn.state) {
            const [code, error, detail] = GRANT_REFUSALS[signIn.state];
            throw oauthError(code, error, detail);
          }
          await issue({
            principal: signIn.user,
            clientId: client?.clientId ?? PUBLIC_CLIENT_ID,
            refresh: true,
            authTime: service.nowSeconds(),
          });
          return;
        }
        case 'authorization_code': {
          const code = required(body, 'code');
          // RFC 6749 §4.1.3: a public client names itself; a confidential one authenticates.
          if (!client) {
            throw invalidRequest('"client_id" is required (or the client\'s authentication).');
          }
          const exchange = {
            code,
            redirectUri: param(body, 'redirect_uri'),
            codeVerifier: param(body, 'code_verifier'),
            clientId: client.clientId,
          };
          res.json(await deps.codeFlow.exchange(exchange, visitor, dpop));
          return;
        }
        case 'refresh_token': {
          const refreshToken = required(body, 'refresh_token');
          const clientId = actingClient(client, refreshToken, 'refresh token');
          res.json(
            await service.refresh(
              refreshToken,
              clientId,
              expiresIn,
              visitor,
              limits.refreshLimits,
              jkt === undefined ? undefined : { jkt, publicClient },
            ),
          );
          return;
        }
        default:
          throw oauthError(
            'unsupported_grant_type',
            'unsupported_grant_type',
            `grant_type "${grantType.slice(0, 40).replace(/[^\w:.-]/g, '')}" is not served here.`,
          );
      }
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/auth/revoke')
    .post(...oauthRequest, deps.credentialLimit, optionalClient, async function revoke(req, res) {
      const token = required(req.body as Record<string, unknown>, 'token');
      param(req.body as Record<string, unknown>, 'token_type_hint');
      const clientId = actingClient(res.locals.client, token, 'token');
      await service.revoke(token, clientId, deps.visitors.of(req));
      // RFC 7009 §2.2 says only 200; `{}` as JSON, because clients that parse every answer
      // (simple-oauth2) trip on an empty body without a Content-Type.
      res.status(200).json({});
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/auth/introspect')
    .post(
      ...oauthRequest,
      deps.credentialLimit,
      requiredClient,
      async function introspect(req, res) {
        const token = required(req.body as Record<string, unknown>, 'token');
        res.json(await service.introspect(token));
      },
    )
    .all(methodNotAllowed('POST'));

  /** revoke-all's `sub`, when one is named: 1 to MAX_SUB_LENGTH characters. */
  function subjectParam(req: Request): string | undefined {
    const asked = param(req.body as Record<string, unknown>, 'sub');
    if (asked !== undefined && (asked === '' || asked.length > MAX_SUB_LENGTH)) {
      throw invalidRequest(`"sub" must be 1 to ${MAX_SUB_LENGTH} characters.`);
    }
    return asked;
  }
  // Another subject's tokens are an admin's business, checked as /admin checks it: the admin
  // role (else 403 role_insufficient), then the admin scope (else 403 insufficient_scope).
  const adminChecks = Router().use(...deps.requireAdmin);
  const othersNeedAdmin: RequestHandler = function othersNeedAdmin(req, res, next) {
    const asked = subjectParam(req);
    if (asked === undefined || asked === res.locals.auth?.claims.sub) next();
    else adminChecks(req, res, next);
  };
  router
    .route('/auth/revoke-all')
    .post(deps.bearerAuth, ...parseBody, othersNeedAdmin, async function revokeAll(req, res) {
      const auth = res.locals.auth;
      if (!auth) throw new Error('revoke-all: bearerAuth did not run');
      if (isSpecimen(auth.claims)) {
        throw problem('specimen_read_only', {
          detail:
            'This is a shared specimen token: it opens read-only routes but cannot revoke anything. Get your own token at POST /auth/token.',
        });
      }
      const sub = subjectParam(req) ?? auth.claims.sub;
      // Per visitor: what the caller's visitor was issued (its `vis` claim), never others'.
      const at = await service.revokeSubject(sub, auth.claims.vis, deps.visitors.of(req));
      res.setHeader('Cache-Control', 'no-store');
      res.json({ sub, revoked_up_to: new Date(at).toISOString(), scope: 'tokens issued to you' });
    })
    .all(methodNotAllowed('POST'));

  const authServerMetadata = {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/auth/token`,
    revocation_endpoint: `${issuer}/auth/revoke`,
    introspection_endpoint: `${issuer}/auth/introspect`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    grant_types_supported: [
      'authorization_code',
      'client_credentials',
      'password',
      'refresh_token',
    ],
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    // RFC 9207: the authorization response names its issuer.
    authorization_response_iss_parameter_supported: true,
    // `none`: the public client four-oh-one-public (RFC 6749 §2.1) names itself with client_id.
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    revocation_endpoint_auth_methods_supported: [
      'client_secret_basic',
      'client_secret_post',
      'none',
    ],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    scopes_supported: ['openid', 'profile', ...ALL_SCOPES],
    // RFC 9449 §5.1: a DPoP proof at the token endpoint gets DPoP-bound tokens.
    dpop_signing_alg_values_supported: [...DPOP_ALGS],
    service_documentation: `${config.publicUrl}/scenarios`,
  };
  const resourceMetadata = {
    resource: config.publicUrl,
    authorization_servers: [issuer],
    bearer_methods_supported: ['header'],
    scopes_supported: ALL_SCOPES,
    // RFC 9728 §2: /api/v1/* take DPoP-bound tokens too, and Bearer tokens still.
    dpop_signing_alg_values_supported: [...DPOP_ALGS],
    dpop_bound_access_tokens_required: false,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    resource_documentation: `${config.publicUrl}/scenarios`,
  };
  router
    .route('/.well-known/oauth-authorization-server')
    .get((_req, res) => void res.json(authServerMetadata))
    .all(methodNotAllowed('GET'));
  router
    .route('/.well-known/oauth-protected-resource')
    .get((_req, res) => void res.json(resourceMetadata))
    .all(methodNotAllowed('GET'));
  router
    .route('/.well-known/jwks.json')
    .get((_req, res) => void res.json(deps.keys.jwks()))
    .all(methodNotAllowed('GET'));

  /** Each specimen used alone on GET /api/v1/data by a bearer scenario, with what it produces. */
  const specimenUses = defaultScenarios().flatMap((s) => {
    const auth = s.trigger.headers?.Authorization;
    const m = /^Bearer \{\{token:([a-z_]+)\}\}$/.exec(typeof auth === 'string' ? auth : '');
    // The token alone on the resource: not with a query or a body beside it, which change why.
    const alone = s.trigger.path === '/api/v1/data' && s.trigger.body === undefined;
    return m && alone && s.family === 'bearer' ? [{ name: m[1] as string, scenario: s }] : [];
  });
  router
    .route('/tokens/specimens')
    .get(async function listSpecimens(_req, res) {
      const tokens = await deps.specimens.get();
      res.setHeader('Cache-Control', 'no-store');
      res.json({
        target: 'GET /api/v1/data',
        specimens: specimenUses.map(({ name, scenario }) => ({
          name,
          token: tokens[name as keyof typeof tokens],
          expect: { status: scenario.expect.status, code: scenario.expect.code ?? null },
          scenario: scenario.id,
          title: scenario.title,
        })),
      });
    })
    .all(methodNotAllowed('GET'));

  return router;
}
