import { Router, type RequestHandler } from 'express';
import { clientAuth } from '../middleware/client-auth';
import { jsonOrForm, secondsParam } from '../src/body';
import type { Config } from '../src/config';
import type { Directory, Principal } from '../src/identities';
import { oauthError, type TokenService } from '../src/issuer';
import type { KeyRing } from '../src/keys';
import { methodNotAllowed, problem } from '../src/problems';
import { scenarios } from '../src/scenarios';
import type { SpecimenBook } from '../src/specimens';
import { isSpecimen } from '../src/tokens';
import type { Visitors } from '../src/visitors';

export interface TokenRoutesDeps {
  config: Config;
  directory: Directory;
  service: TokenService;
  keys: KeyRing;
  specimens: SpecimenBook;
  bearerAuth: RequestHandler;
  /** Throttles refused client credentials and passwords (middleware/client-auth.ts). */
  credentialLimit: RequestHandler;
  visitors: Visitors;
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

const ALL_SCOPES = ['data:read', 'admin'];
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
  const optionalClient = clientAuth({ directory, required: false });
  const requiredClient = clientAuth({ directory, required: true });

  router
    .route('/auth/token')
    .post(...oauthRequest, deps.credentialLimit, optionalClient, async function token(req, res) {
      const body = req.body as Record<string, unknown>;
      const client = res.locals.client;
      const visitor = deps.visitors.of(req);
      const grantType = param(body, 'grant_type');
      const expiresIn = lifetime(body);

      // The article's shape: JSON {"api_key", "api_secret"}, no grant_type. It is the
      // client_credentials grant by another name; it also gets a refresh token so that the
      // article's refresh helper has something to refresh.
      if (
        grantType === undefined &&
        (body.api_key !== undefined || body.api_secret !== undefined)
      ) {
        if (!client) throw invalidRequest('Send both "api_key" and "api_secret".');
        res.json(
          await service.issue({
            principal: client,
            clientId: client.clientId,
            scopes: scopesFor(client, body),
            expiresIn,
            refresh: true,
            visitor,
          }),
        );
        return;
      }
      switch (grantType) {
        case undefined:
          throw invalidRequest(
            '"grant_type" is required (or send the JSON {"api_key", "api_secret"}).',
          );
        case 'client_credentials': {
          if (!client) {
            throw oauthError(
              'invalid_client',
              'invalid_client',
              'client_credentials needs client authentication.',
              {
                'WWW-Authenticate': 'Basic realm="four-oh-one", charset="UTF-8"',
              },
            );
          }
          // RFC 6749 §4.4.3: no refresh token for client credentials.
          res.json(
            await service.issue({
              principal: client,
              clientId: client.clientId,
              scopes: scopesFor(client, body),
              expiresIn,
              refresh: false,
              visitor,
            }),
          );
          return;
        }
        case 'password': {
          const username = required(body, 'username');
          const password = required(body, 'password');
          const user = directory.authenticateUser(username, password);
          if (!user)
            throw oauthError(
              'invalid_grant',
              'invalid_grant',
              'The username or password is wrong.',
            );
          res.json(
            await service.issue({
              principal: user,
              clientId: client?.clientId ?? 'four-oh-one-public',
              scopes: scopesFor(user, body),
              expiresIn,
              refresh: true,
              authTime: service.nowSeconds(),
              visitor,
            }),
          );
          return;
        }
        case 'refresh_token':
          res.json(
            await service.refresh(
              required(body, 'refresh_token'),
              client?.clientId,
              expiresIn,
              visitor,
            ),
          );
          return;
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
      await service.revoke(token, res.locals.client?.clientId, deps.visitors.of(req));
      res.status(200).end();
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

  router
    .route('/auth/revoke-all')
    .post(deps.bearerAuth, ...parseBody, async function revokeAll(req, res) {
      const auth = res.locals.auth;
      if (!auth) throw new Error('revoke-all: bearerAuth did not run');
      if (isSpecimen(auth.claims)) {
        throw problem('specimen_read_only', {
          detail:
            'This is a shared specimen token: it opens read-only routes but cannot revoke anything. Get your own token at POST /auth/token.',
        });
      }
      const asked = param(req.body as Record<string, unknown>, 'sub');
      if (asked !== undefined && (asked === '' || asked.length > MAX_SUB_LENGTH)) {
        throw invalidRequest(`"sub" must be 1 to ${MAX_SUB_LENGTH} characters.`);
      }
      const isAdmin = auth.claims.type === 'admin';
      if (asked !== undefined && asked !== auth.claims.sub && !isAdmin) {
        throw oauthError(
          'insufficient_scope',
          'insufficient_scope',
          'Only an admin may revoke the tokens of another subject.',
          {
            'WWW-Authenticate':
              'Bearer realm="four-oh-one", error="insufficient_scope", scope="admin"',
          },
        );
      }
      const sub = asked ?? auth.claims.sub;
      // Per visitor: what the caller's visitor was issued (its `vis` claim), never others'.
      const at = await service.revokeSubject(sub, auth.claims.vis, deps.visitors.of(req));
      res.setHeader('Cache-Control', 'no-store');
      res.json({ sub, revoked_up_to: new Date(at).toISOString(), scope: 'tokens issued to you' });
    })
    .all(methodNotAllowed('POST'));

  const authServerMetadata = {
    issuer,
    token_endpoint: `${issuer}/auth/token`,
    revocation_endpoint: `${issuer}/auth/revoke`,
    introspection_endpoint: `${issuer}/auth/introspect`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    grant_types_supported: ['client_credentials', 'password', 'refresh_token'],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: [
      'client_secret_basic',
      'client_secret_post',
      'none',
    ],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    scopes_supported: ALL_SCOPES,
    service_documentation: `${config.publicUrl}/scenarios`,
  };
  const resourceMetadata = {
    resource: config.publicUrl,
    authorization_servers: [issuer],
    bearer_methods_supported: ['header'],
    scopes_supported: ALL_SCOPES,
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
  const specimenUses = scenarios.flatMap((s) => {
    const m = /^Bearer \{\{token:([a-z_]+)\}\}$/.exec(s.trigger.headers?.Authorization ?? '');
    return m && s.family === 'bearer' ? [{ name: m[1] as string, scenario: s }] : [];
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
