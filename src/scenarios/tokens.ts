import { tokenAccountScenarios } from './accounts';
import { problemCatalog } from './catalog';
import { rfc } from './refs';
import { BASIC, OK_NO_STORE, postForm } from './shared';
import type { Expectation, FamilyInfo, Scenario } from './types';
import { cite } from './sources';

/** Bad client credentials: the one OAuth error answered 401, with the Basic challenge (§5.2). */
const INVALID_CLIENT: Expectation = { status: 401, code: 'invalid_client', challenge: BASIC };

/** The family's heading in /scenarios, the playground and the OpenAPI tags. */
export const family: FamilyInfo = {
  title: 'Getting, refreshing and revoking tokens: /auth/*',
  summary:
    cite('invalidToken', 3) +
    ': a client gets `Invalid Token (request id: …)`, fetches a new token with POST /auth/token and JSON {"api_key", "api_secret"}, and retries once. Here is that endpoint, with the standard OAuth grants, rotating refresh tokens, revocation and introspection, and every way they refuse.',
};

/** The family's scenarios, in the order /scenarios and the playground list them. */
export const scenarios: Scenario[] = [
  {
    id: 'auth-token-article',
    family: 'tokens',
    title: 'The article’s token request: JSON api_key and api_secret',
    trigger: {
      method: 'POST',
      path: '/auth/token',
      body: { api_key: 'YOUR_VALID_API_KEY', api_secret: 'YOUR_VALID_API_SECRET' },
    },
    expect: OK_NO_STORE,
    explanation:
      '`get_new_token()` in ' +
      cite('invalidToken', 3) +
      ' posts exactly this and reads `access_token`. It runs unchanged against this server with the article’s placeholder credentials, which are the demo credentials here. The answer is an RFC 6749 §5.1 token response: access_token, token_type Bearer, expires_in, refresh_token and scope, never cached. The refresh token is the client’s: using it needs the same api_key and api_secret (or HTTP Basic) again, since RFC 6749 §6 makes a confidential client authenticate when it refreshes.',
    rfc: [rfc(6749, '4.4'), rfc(6749, '5.1')],
  },
  {
    id: 'auth-token-client-credentials',
    family: 'tokens',
    title: 'The standard client_credentials grant with HTTP Basic',
    trigger: {
      method: 'POST',
      path: '/auth/token',
      headers: { Authorization: 'Basic WU9VUl9WQUxJRF9BUElfS0VZOllPVVJfVkFMSURfQVBJX1NFQ1JFVA==' },
      body: { grant_type: 'client_credentials' },
      contentType: 'form',
    },
    expect: OK_NO_STORE,
    explanation:
      'The same client, authenticated the RFC 6749 way: HTTP Basic with the API key as client_id and the secret as client_secret, and a form body. No refresh token comes back (RFC 6749 §4.4.3): a client can always ask again with its credentials.',
    rfc: [rfc(6749, '4.4'), rfc(6749, '2.3.1')],
  },
  {
    id: 'auth-token-password',
    family: 'tokens',
    title: 'The password grant for a demo user',
    trigger: postForm('/auth/token', {
      grant_type: 'password',
      username: 'my_username',
      password: 'my_password',
    }),
    expect: OK_NO_STORE,
    explanation:
      'A user’s name and password exchanged for tokens, with a refresh token and an auth_time (used by step-up). OAuth 2.1 and RFC 9700 §2.4 drop this grant — the client sees the password — in favour of the authorization code flow; it stays here because it makes a user token one curl away.',
    rfc: [rfc(6749, '4.3'), rfc(9700, '2.4')],
  },
  ...tokenAccountScenarios,
  {
    id: 'auth-token-wrong-secret',
    family: 'tokens',
    title: 'A wrong api_secret',
    trigger: {
      method: 'POST',
      path: '/auth/token',
      body: { api_key: 'YOUR_VALID_API_KEY', api_secret: 'not-the-secret' },
    },
    expect: INVALID_CLIENT,
    explanation:
      'Bad client credentials at the token endpoint are the one OAuth error answered with 401 (RFC 6749 §5.2), with a challenge for the scheme the client should use. The body is the same as for an unknown key.',
    rfc: problemCatalog.invalid_client.rfc,
  },
  {
    id: 'auth-token-unknown-key',
    family: 'tokens',
    title: 'An unknown api_key',
    trigger: {
      method: 'POST',
      path: '/auth/token',
      body: { api_key: 'NO_SUCH_KEY', api_secret: 'whatever' },
    },
    expect: INVALID_CLIENT,
    explanation:
      'Exactly the answer a wrong secret gets, and in the same time (the secret is compared, in constant time, against a dummy): otherwise the endpoint would tell an attacker which keys exist.',
    rfc: problemCatalog.invalid_client.rfc,
  },
  {
    id: 'auth-token-missing-secret',
    family: 'tokens',
    title: 'An api_key without its api_secret',
    trigger: { method: 'POST', path: '/auth/token', body: { api_key: 'YOUR_VALID_API_KEY' } },
    expect: { status: 400, code: 'invalid_request', challenge: null },
    explanation:
      'A required parameter is missing: that is a malformed request (400), not a failed authentication.',
    rfc: problemCatalog.invalid_request.rfc,
  },
  {
    id: 'auth-token-wrong-type',
    family: 'tokens',
    title: 'An object where a string belongs ({"$ne": 1})',
    trigger: {
      method: 'POST',
      path: '/auth/token',
      body: { grant_type: 'password', username: 'my_username', password: { $ne: 1 } },
    },
    expect: { status: 400, code: 'invalid_request', challenge: null },
    explanation:
      'The NoSQL-injection shape: a JSON object where a password string belongs. Parameters are type-checked before anything looks at them, so it is a 400, never a login and never a 500.',
    rfc: problemCatalog.invalid_request.rfc,
  },
  {
    id: 'auth-token-bad-password',
    family: 'tokens',
    title: 'A wrong password',
    trigger: postForm('/auth/token', {
      grant_type: 'password',
      username: 'my_username',
      password: 'wrong',
    }),
    expect: { status: 400, code: 'invalid_grant', challenge: null },
    explanation:
      'RFC 6749 §5.2 answers a wrong user password with 400 invalid_grant, not 401: the grant (the resource owner’s credentials) is invalid, not the client. A surprise for many clients that expect 401 here.',
    rfc: problemCatalog.invalid_grant.rfc,
  },
  {
    id: 'auth-token-invalid-scope',
    family: 'tokens',
    title: 'A user asking for the admin scope',
    trigger: postForm('/auth/token', {
      grant_type: 'password',
      username: 'my_username',
      password: 'my_password',
      scope: 'admin',
    }),
    expect: { status: 400, code: 'invalid_scope', challenge: null },
    explanation: 'The credentials are right, but the scope is more than this user may have.',
    rfc: problemCatalog.invalid_scope.rfc,
  },
  {
    id: 'auth-token-unsupported-grant',
    family: 'tokens',
    title: 'A grant type this server does not serve',
    trigger: postForm('/auth/token', {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: 'abc',
    }),
    expect: { status: 400, code: 'unsupported_grant_type', challenge: null },
    explanation: 'The grant types served are listed in /.well-known/oauth-authorization-server.',
    rfc: problemCatalog.unsupported_grant_type.rfc,
  },
  {
    id: 'auth-token-bad-refresh',
    family: 'tokens',
    title: 'A refresh token that is not one',
    trigger: postForm('/auth/token', {
      grant_type: 'refresh_token',
      refresh_token: 'not-a-refresh-token',
    }),
    expect: { status: 400, code: 'invalid_grant', challenge: null },
    explanation:
      'Unknown, forged, expired or revoked refresh tokens are all invalid_grant (400). The client cannot refresh; it must sign in again.',
    rfc: problemCatalog.invalid_grant.rfc,
  },
  {
    id: 'auth-token-public-client',
    family: 'tokens',
    title: 'A public client names itself, without a secret',
    trigger: postForm('/auth/token', {
      grant_type: 'password',
      username: 'my_username',
      password: 'my_password',
      client_id: 'four-oh-one-public',
    }),
    expect: OK_NO_STORE,
    explanation:
      'four-oh-one-public is a public client (RFC 6749 §2.1): a CLI, a browser app or an OAuth library with no secret to keep. It names itself with `client_id` alone (RFC 6749 §3.2.1), which the metadata announces as the token endpoint auth method `none`, and its tokens carry `client_id: four-oh-one-public`. A request with no client at all is taken as this client too. A public client may use the password and refresh grants and revoke its tokens; it cannot use client_credentials or introspection, which need a client that authenticates.',
    rfc: [rfc(6749, '2.1'), rfc(6749, '3.2.1'), rfc(8414, '2')],
  },
  {
    id: 'auth-token-public-client-credentials',
    family: 'tokens',
    title: 'The public client asking for client_credentials',
    trigger: postForm('/auth/token', {
      grant_type: 'client_credentials',
      client_id: 'four-oh-one-public',
    }),
    expect: INVALID_CLIENT,
    explanation:
      'The client credentials grant is for confidential clients only (RFC 6749 §4.4): the client is its own resource owner, so its authentication is the whole grant. A public client has no secret, so naming it proves nothing: 401 invalid_client, with the Basic challenge a confidential client answers.',
    rfc: [rfc(6749, '4.4'), rfc(6749, '2.1'), rfc(6749, '5.2')],
  },
  {
    id: 'auth-token-refresh-confidential-unauthenticated',
    family: 'tokens',
    title: 'A confidential client’s refresh token, without the client’s authentication',
    trigger: postForm('/auth/token', {
      grant_type: 'refresh_token',
      refresh_token: '{{token:client_refresh}}',
    }),
    expect: INVALID_CLIENT,
    explanation:
      'This refresh token was issued to the article’s API client (YOUR_VALID_API_KEY), a confidential client: it has a secret. RFC 6749 §6 makes such a client authenticate whenever it refreshes, so a stolen refresh token alone is worth nothing. Without the client’s authentication the answer is 401 invalid_client with a Basic challenge, before the token is looked at; with it (HTTP Basic, client_id and client_secret, or the article’s api_key and api_secret in the body) the refresh proceeds. Refresh tokens of the public client need none.',
    articleNote:
      'The article (' +
      cite('invalidToken', 4) +
      ') never refreshes: its `refresh_token()` is undefined, and its text says to get a new token with get_new_token(), which sends the api_key and api_secret anyway. So the article’s code runs unchanged. A client that keeps the refresh token from the article’s JSON answer must send the same credentials when it uses it.',
    rfc: [rfc(6749, '6'), rfc(6749, '2.3.1'), rfc(6749, '5.2')],
  },
  {
    id: 'auth-introspect-public-client',
    family: 'tokens',
    title: 'The public client asking to introspect',
    trigger: postForm('/auth/introspect', {
      token: '{{token:valid}}',
      client_id: 'four-oh-one-public',
    }),
    expect: INVALID_CLIENT,
    explanation:
      'Introspection tells whoever asks what a token is worth, so RFC 7662 §2.1 requires the caller to authenticate (here: a confidential client). The public client cannot, having no secret: 401 invalid_client.',
    rfc: [rfc(7662, '2.1'), rfc(7662, '4'), rfc(6749, '5.2')],
  },
  {
    id: 'auth-token-refresh-reused',
    family: 'tokens',
    title: 'A refresh token used a second time',
    trigger: postForm('/auth/token', {
      grant_type: 'refresh_token',
      refresh_token: '{{token:used_refresh}}',
    }),
    expect: { status: 400, code: 'refresh_token_reused', challenge: null },
    explanation:
      'This refresh token was already exchanged once. Its reuse revokes the whole family: the refresh token issued in exchange and every access token issued from the family now answer 401 token_revoked. Clients that refresh from two tabs or threads at once meet this.',
    rfc: problemCatalog.refresh_token_reused.rfc,
  },
  {
    id: 'auth-token-refresh-retry',
    family: 'tokens',
    title: 'The same refresh token again, at once, by the same client: a retry, not reuse',
    trigger: {
      ...postForm('/auth/token', {
        grant_type: 'refresh_token',
        refresh_token: '<the refresh token you just used>',
      }),
      fired: false,
      setup:
        'Get a refresh token (the password grant), use it once, then send the same one again within REFRESH_REUSE_GRACE_SECONDS (30 s), from the same client. Not fired here: it needs a refresh token used moments ago.',
    },
    expect: { status: 200, challenge: null },
    explanation:
      'A client that loses the answer to a refresh (a dropped connection, a 503 it was told to retry after) sends the same refresh token again. Within the grace window, the same client gets the very pair its first use got, re-signed from what that use recorded; the family lives on. After the window, or from another client, a second use is reuse: refresh_token_reused, and the family is revoked (RFC 9700 §4.14.2).',
    rfc: [rfc(9700, '4.14.2'), rfc(6749, '6')],
  },
  {
    id: 'auth-token-refresh-idle-expired',
    family: 'tokens',
    title: 'A refresh token left unused past its idle lifetime',
    trigger: postForm('/auth/token', {
      grant_type: 'refresh_token',
      refresh_token: '{{token:refresh_idle_expired}}',
    }),
    expect: { status: 400, code: 'refresh_token_idle_expired', challenge: null },
    explanation:
      'Each refresh token lives REFRESH_TOKEN_IDLE_SECONDS from its issue; using it in time gets a new one with a fresh idle lifetime. This one lay unused too long, though its family still had an hour to live. An expired access token is cured by a refresh; an expired refresh token by nothing but a new login. To watch one die in a test, ask the token endpoint for refresh_idle_seconds=2 (1 to 300, never longer than configured) and wait.',
    rfc: problemCatalog.refresh_token_idle_expired.rfc,
  },
  {
    id: 'auth-token-refresh-absolute-expired',
    family: 'tokens',
    title: 'A refresh token whose family reached its absolute lifetime',
    trigger: postForm('/auth/token', {
      grant_type: 'refresh_token',
      refresh_token: '{{token:refresh_absolute_expired}}',
    }),
    expect: { status: 400, code: 'refresh_token_absolute_expired', challenge: null },
    explanation:
      'A login starts a family that lives REFRESH_TOKEN_TTL_SECONDS at most; every rotated token carries the family’s end (its fexp claim), so refreshing often never extends it. This family’s end has passed. The client must send the user back to log in, not retry. To watch it in a test, log in with refresh_absolute_seconds=3, refresh once at once (the new token ends with the family, not later), and again after 3 s.',
    rfc: problemCatalog.refresh_token_absolute_expired.rfc,
  },
  {
    id: 'auth-token-too-many-attempts',
    family: 'tokens',
    title: 'Too many wrong client secrets at the token endpoint',
    trigger: {
      method: 'POST',
      path: '/auth/token',
      body: { api_key: 'YOUR_VALID_API_KEY', api_secret: 'not-the-secret' },
      fired: false,
      setup:
        'Send this wrong secret more often than CREDENTIAL_MAX_FAILURES_PER_ACCOUNT (20) from one address within CREDENTIAL_WINDOW_SECONDS (60): the next attempt answers this. Not fired here: it would throttle this client for this address for the rest of the window; GET /api/v1/flaky?fail=always&status=429 shows a 429 without throttling anyone.',
    },
    expect: { status: 429, code: 'too_many_attempts', challenge: null },
    explanation:
      'The token endpoint counts refused client secrets per client and address, and per address, like the login form counts passwords. The answer is OAuth JSON with error "slow_down" besides the problem members, Retry-After, and RateLimit and RateLimit-Policy naming each counter. The right secret from another address still works. A client must stop and wait, not retry the same secret.',
    rfc: problemCatalog.too_many_attempts.rfc,
  },
  {
    id: 'specimen-cannot-revoke',
    family: 'tokens',
    title: 'A shared specimen token cannot change state',
    trigger: {
      method: 'POST',
      path: '/auth/revoke-all',
      headers: { Authorization: 'Bearer {{token:admin}}' },
    },
    expect: { status: 403, code: 'specimen_read_only', challenge: null },
    explanation:
      'The admin specimen from /tokens/specimens is shared by every visitor. It opens read-only routes, but "log out everywhere" with it would change what everyone else sees, so it is refused before anything is written: 403, since the token is valid and no other credentials of the same kind would help. Your own admin token (the password grant as admin) may revoke.',
    rfc: problemCatalog.specimen_read_only.rfc,
  },
  {
    id: 'auth-revoke-missing-token',
    family: 'tokens',
    title: 'A revocation request without the token to revoke',
    trigger: postForm('/auth/revoke', {
      client_id: 'YOUR_VALID_API_KEY',
      client_secret: 'YOUR_VALID_API_SECRET',
    }),
    expect: { status: 400, code: 'invalid_request', challenge: null },
    explanation:
      'RFC 7009 §2.1: `token` is required. The client authenticated, but the request names nothing to revoke, so it is invalid_request (400). An unknown or already revoked token, by contrast, answers 200: revocation says nothing about which tokens exist.',
    rfc: [rfc(7009, '2.1'), rfc(7009, '2.2.1'), rfc(6749, '5.2')],
  },
  {
    id: 'auth-introspect-no-client',
    family: 'tokens',
    title: 'Introspection without client authentication',
    trigger: postForm('/auth/introspect', { token: 'any-token' }),
    expect: INVALID_CLIENT,
    explanation:
      'RFC 7662 §2.1: the introspection endpoint must not tell strangers whether a token is active, so it requires the caller to authenticate. No client credentials came, so it is 401 invalid_client with a Basic challenge, before the token is looked at.',
    rfc: [rfc(7662, '2.1'), rfc(7662, '4'), rfc(6749, '5.2')],
  },
];
