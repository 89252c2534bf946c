/** The authorization-code flow and OpenID Connect (routes/authorize.ts). */
import { BODY_ERRORS, obj, STORE, str, strings, uri } from '../schemas';
import type { RouteDoc } from '../types';

const page = { status: 200, description: 'An HTML page.', type: 'text/html', schema: str } as const;
const back = {
  status: 303,
  description:
    'Back to the client’s redirect URI with `code` (or `error`, `error_description`), `state` and `iss` (RFC 6749 §4.1.2, RFC 9207).',
  headers: { Location: 'The redirect URI with the authorization response in its query.' },
} as const;

export const oauthRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/authorize',
    tag: 'oauth',
    summary:
      'The authorization endpoint: the login page, or the consent page when a login is remembered',
    params: {
      response_type: 'code (the only one served)',
      client_id: 'four-oh-one-spa (public) or four-oh-one-web (confidential)',
      redirect_uri: 'A redirect URI registered for the client, exactly',
      scope: 'Any of openid, profile, data:read, admin (default data:read)',
      state: 'Echoed on the redirect',
      code_challenge: 'BASE64URL(SHA-256(code_verifier)), 43 characters (PKCE, required)',
      code_challenge_method: 'S256 (required)',
      nonce: 'Carried into the id_token',
      max_age: 'Seconds: an older login must be typed again',
      prompt: 'none, login, consent, select_account',
      acr_values: 'urn:four-oh-one:acr:password asks for a password typed now',
    },
    success: [page, back],
    errors: ['authorize_client_unknown', 'authorize_redirect_uri_invalid', ...STORE],
  },
  {
    method: 'post',
    path: '/authorize',
    tag: 'oauth',
    summary: 'The login form (action=login) and the consent form (action=approve or deny)',
    body: {
      schema: obj(
        {
          action: { enum: ['login', 'approve', 'deny'] },
          csrf_token: str,
          username: str,
          password: str,
          pending: str,
        },
        ['action'],
      ),
      form: true,
      required: true,
    },
    success: [
      { ...page, description: 'The consent page (after a login), or the login page again.' },
      back,
      {
        status: 401,
        description: 'The login page again: the user name or password is wrong.',
        type: 'text/html',
        schema: str,
        headers: { 'WWW-Authenticate': 'Cookie realm="four-oh-one", form-action="/authorize", …' },
      },
    ],
    errors: [
      'csrf_token_invalid',
      'authorize_request_expired',
      'parameter_invalid',
      'too_many_attempts',
      ...BODY_ERRORS,
      ...STORE,
    ],
  },
  {
    method: 'get',
    path: '/oauth/callback',
    tag: 'oauth',
    summary: 'The demo clients’ redirect URI: shows the authorization response',
    success: [page],
  },
  {
    method: 'get',
    path: '/.well-known/openid-configuration',
    tag: 'oauth',
    summary: 'OpenID Connect discovery (OpenID Connect Discovery 1.0 §3)',
    success: [
      {
        status: 200,
        description: 'The provider metadata.',
        schema: obj(
          {
            issuer: uri,
            authorization_endpoint: uri,
            token_endpoint: uri,
            userinfo_endpoint: uri,
            jwks_uri: uri,
            response_types_supported: strings,
            code_challenge_methods_supported: strings,
            id_token_signing_alg_values_supported: strings,
            dpop_signing_alg_values_supported: strings,
          },
          ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri'],
        ),
      },
    ],
  },
  ...(['get', 'post'] as const).map((method): RouteDoc => ({
    method,
    path: '/userinfo',
    tag: 'oauth',
    summary: 'OpenID Connect UserInfo: who the access token speaks for (needs scope openid)',
    security: [['bearer']],
    success: [
      {
        status: 200,
        description: 'The user’s claims.',
        schema: obj({ sub: str, name: str }, ['sub']),
      },
    ],
    errors: STORE,
  })),
];
