/** The token endpoint, revocation, introspection and the metadata (routes/tokens.ts). */
import {
  BODY_ERRORS,
  bool,
  closed,
  iso,
  obj,
  ref,
  STORE,
  str,
  strings,
  tokenBody,
  uri,
} from '../schemas';
import type { RouteDoc } from '../types';

export const tokensRoutes: RouteDoc[] = [
  {
    method: 'post',
    path: '/auth/token',
    tag: 'tokens',
    guardErrors: false,
    summary: 'Get or refresh tokens: the article’s {"api_key","api_secret"}, or an OAuth grant',
    description:
      'With a `DPoP` header (a proof for `POST <PUBLIC_URL>/auth/token`, RFC 9449 §4.2), every grant issues DPoP-bound tokens: `token_type: DPoP`, `cnf.jkt` in the access token and, for public clients, in the refresh token, which then refreshes only with a proof of the same key (RFC 9449 §5).',
    security: [[], ['basic']],
    body: { schema: tokenBody, form: true, required: true },
    success: [
      { status: 200, description: 'Tokens (RFC 6749 §5.1).', schema: ref('TokenResponse') },
    ],
    errors: ['invalid_request', ...BODY_ERRORS, ...STORE],
  },
  {
    method: 'post',
    path: '/auth/revoke',
    tag: 'tokens',
    guardErrors: false,
    summary: 'Revoke a token (RFC 7009): always 200',
    security: [[], ['basic']],
    body: {
      schema: obj({ token: str, token_type_hint: str }, ['token']),
      form: true,
      required: true,
    },
    success: [
      {
        status: 200,
        description: 'Revoked, or nothing to revoke: `{}` (RFC 7009 §2.2).',
        schema: { type: 'object', maxProperties: 0 },
      },
    ],
    errors: ['invalid_request', 'invalid_client', ...BODY_ERRORS, ...STORE],
  },
  {
    method: 'post',
    path: '/auth/introspect',
    tag: 'tokens',
    guardErrors: false,
    summary: 'Introspect a token (RFC 7662); client authentication required',
    security: [['basic']],
    body: { schema: obj({ token: str }, ['token']), form: true, required: true },
    success: [
      {
        status: 200,
        description:
          'Whether the token is active, and its claims. `token_type` is `Bearer` for an access token, `DPoP` for one bound to a DPoP key (its `cnf` says which) (RFC 7662 §2.2, the RFC 6749 §7.1 type); `token_use` says `access_token` or `refresh_token`.',
        schema: obj(
          {
            active: bool,
            token_type: { enum: ['Bearer', 'DPoP'] },
            token_use: { enum: ['access_token', 'refresh_token'] },
          },
          ['active'],
        ),
      },
    ],
    errors: ['invalid_request', 'invalid_client', ...BODY_ERRORS, ...STORE],
  },
  {
    method: 'post',
    path: '/auth/revoke-all',
    tag: 'tokens',
    summary: 'Revoke every token of the caller (an admin may name `sub`)',
    security: [['bearer']],
    body: { schema: obj({ sub: str }), form: true },
    success: [
      {
        status: 200,
        description: 'Revoked up to now.',
        schema: obj({ sub: str, revoked_up_to: iso }, ['sub', 'revoked_up_to']),
      },
    ],
    errors: [
      'token_missing',
      'role_insufficient',
      'insufficient_scope',
      'invalid_request',
      ...BODY_ERRORS,
      ...STORE,
    ],
  },
  {
    method: 'get',
    path: '/.well-known/oauth-authorization-server',
    tag: 'tokens',
    summary: 'Authorization server metadata (RFC 8414)',
    success: [
      {
        status: 200,
        description: 'Metadata.',
        schema: closed(
          {
            issuer: uri,
            authorization_endpoint: uri,
            token_endpoint: uri,
            revocation_endpoint: uri,
            introspection_endpoint: uri,
            jwks_uri: uri,
            grant_types_supported: strings,
            response_types_supported: strings,
            code_challenge_methods_supported: strings,
            authorization_response_iss_parameter_supported: bool,
            token_endpoint_auth_methods_supported: strings,
            revocation_endpoint_auth_methods_supported: strings,
            introspection_endpoint_auth_methods_supported: strings,
            scopes_supported: strings,
            dpop_signing_alg_values_supported: strings,
            service_documentation: uri,
          },
          ['issuer', 'token_endpoint', 'response_types_supported'],
        ),
      },
    ],
  },
  {
    method: 'get',
    path: '/.well-known/oauth-protected-resource',
    tag: 'tokens',
    summary: 'Protected resource metadata (RFC 9728), named in every Bearer challenge',
    success: [
      {
        status: 200,
        description: 'Metadata.',
        schema: closed(
          {
            resource: uri,
            authorization_servers: { type: 'array', items: uri },
            bearer_methods_supported: strings,
            scopes_supported: strings,
            dpop_signing_alg_values_supported: strings,
            dpop_bound_access_tokens_required: bool,
            jwks_uri: uri,
            resource_documentation: uri,
          },
          ['resource'],
        ),
      },
    ],
  },
  {
    method: 'get',
    path: '/.well-known/jwks.json',
    tag: 'tokens',
    summary: 'The public signing keys (RFC 7517)',
    success: [
      {
        status: 200,
        description: 'A JWK set.',
        schema: obj({ keys: { type: 'array' } }, ['keys']),
      },
    ],
  },
  {
    method: 'get',
    path: '/tokens/specimens',
    tag: 'tokens',
    summary: 'Ready-made good and bad tokens, each with the code it produces',
    success: [
      {
        status: 200,
        description: 'The specimens.',
        schema: obj({ target: str, specimens: { type: 'array' } }, ['specimens']),
      },
    ],
    errors: STORE,
  },
];
