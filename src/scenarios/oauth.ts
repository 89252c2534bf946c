/**
 * The authorization-code flow with PKCE and OpenID Connect: GET/POST /authorize, the
 * authorization_code grant at /auth/token, discovery, the id_token and /userinfo.
 */
import { problemCatalog } from './catalog';
import { rfc, type RfcRef } from './refs';
import { bearer, insufficientScope, invalidToken, noError, orDpop, postForm } from './shared';
import type { Expectation, FamilyInfo, Scenario, Trigger } from './types';

/** A section of OpenID Connect Core 1.0, which is no RFC. */
function oidc(section: string, anchor: string): RfcRef {
  return {
    label: `OpenID Connect Core §${section}`,
    url: `https://openid.net/specs/openid-connect-core-1_0.html#${anchor}`,
  };
}

export const family: FamilyInfo = {
  title: 'Signing users in: /authorize, PKCE and OpenID Connect',
  summary:
    'The flow RFC 9700 asks every client to use: the authorization code with PKCE. A real login page and consent page for the demo users, two registered clients (`four-oh-one-spa`, public; `four-oh-one-web`, confidential), codes that live 60 seconds and work once, an OpenID Connect id_token signed ES256, and every way the flow refuses: on an error page, on the redirect, or at the token endpoint.',
};

const CALLBACK = '{{public_url}}/oauth/callback';
/** RFC 7636 Appendix B: its code_verifier is dBjftJeZ4CVP-mJ92K9qB5DsKE5v6LqXzEwvJ8yYnVw-… */
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const STATE = 'af0ifjsldkj';

/** A GET /authorize with the public client's good request, changed as `change` says. */
function authorize(change: Record<string, string | undefined> = {}): Trigger {
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: 'four-oh-one-spa',
    redirect_uri: CALLBACK,
    scope: 'openid data:read',
    state: STATE,
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    ...change,
  };
  // Written as a browser's address bar shows it: the URL's own characters unescaped.
  const query = Object.entries(params)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(
      ([k, v]) =>
        `${k}=${encodeURIComponent(v).replace(/%3A/g, ':').replace(/%2F/g, '/').replace(/%7B/g, '{').replace(/%7D/g, '}')}`,
    )
    .join('&');
  return { method: 'GET', path: `/authorize?${query}` };
}

/** A 303 to the client's callback with an error, the state and the issuer (RFC 9207). */
function sentBack(error: string, description: string): Expectation {
  const query = new URLSearchParams({ error, error_description: description }).toString();
  return {
    status: 303,
    challenge: null,
    headers: {
      location: `${CALLBACK}?${query}&state=${STATE}&iss={{issuer_in_query}}`,
      'cache-control': 'no-store',
    },
  };
}

const errorPage = (code: 'authorize_client_unknown' | 'authorize_redirect_uri_invalid') =>
  ({ status: 400, code, challenge: null, absentHeaders: ['Location'] }) satisfies Expectation;

/** The token request of a code from a real flow: a card that needs one is not fired. */
function exchange(fields: Record<string, string> = {}): Trigger {
  return {
    ...postForm('/auth/token', {
      grant_type: 'authorization_code',
      code: '<the code from the redirect>',
      redirect_uri: CALLBACK,
      client_id: 'four-oh-one-spa',
      code_verifier: '<the verifier whose S256 was the code_challenge>',
      ...fields,
    }),
    fired: false,
  };
}

const NEEDS_A_CODE =
  'It needs a code from a real flow (log in and approve on the pages of GET /authorize), which no stateless replay can make. Run the flow in a browser with the trigger of oauth-authorize-login-page, or with test/oauth-flow.ts, then send this token request';

const grantError = (code: Scenario['expect']['code']): Expectation => ({
  status: 400,
  code,
  challenge: null,
});

export const scenarios: Scenario[] = [
  {
    id: 'oauth-authorize-login-page',
    family: 'oauth',
    title: 'A good authorization request: the login page',
    trigger: authorize(),
    expect: { status: 200, challenge: null, headers: { 'cache-control': 'no-store' } },
    explanation:
      'The public client asks for a code with PKCE (code_challenge, S256) and a state. The server shows a real login page for the demo users and stores nothing yet: the form carries the request and a token bound to it. After the login comes a consent page listing the scopes; Allow sends the browser to the redirect URI with `code`, `state` and `iss`. The code is exchanged at POST /auth/token with the code_verifier within 60 seconds, once.',
    rfc: [rfc(6749, '4.1.1'), rfc(7636, '4.3'), oidc('3.1.2.1', 'AuthRequest'), rfc(9700, '2.1.1')],
  },
  {
    id: 'oauth-authorize-unknown-client',
    family: 'oauth',
    title: 'An unknown client_id: an error page, never a redirect',
    trigger: authorize({ client_id: 'not-registered' }),
    expect: errorPage('authorize_client_unknown'),
    explanation:
      'No client is registered under this id, so no redirect URI can be trusted: the user sees the error here. A server that redirected anyway would be an open redirector anyone could use for phishing.',
    rfc: problemCatalog.authorize_client_unknown.rfc,
  },
  {
    id: 'oauth-authorize-redirect-unregistered',
    family: 'oauth',
    title: 'A redirect_uri that is not registered',
    trigger: authorize({ redirect_uri: 'https://attacker.example/callback' }),
    expect: errorPage('authorize_redirect_uri_invalid'),
    explanation:
      'The client is known but this redirect URI is not one of its own. Redirecting there would hand the code (or even an error) to a stranger, so RFC 6749 §4.1.2.1 says: inform the user, do not redirect. Registered URIs are compared as exact strings.',
    rfc: problemCatalog.authorize_redirect_uri_invalid.rfc,
  },
  {
    id: 'oauth-authorize-response-type',
    family: 'oauth',
    title: 'response_type=token (the implicit flow)',
    trigger: authorize({ response_type: 'token' }),
    expect: sentBack(
      'unsupported_response_type',
      'Only response_type=code is served (the implicit and hybrid flows are not: RFC 9700 2.1.2).',
    ),
    explanation:
      'Client and redirect URI are sound, so the error goes back to the client on its redirect URI, with its state and the issuer. The implicit flow put the access token in the URL fragment, where history, logs and scripts read it; RFC 9700 §2.1.2 says not to use it.',
    rfc: [rfc(6749, '4.1.2.1'), rfc(9700, '2.1.2'), rfc(9207, '2')],
  },
  {
    id: 'oauth-authorize-pkce-missing',
    family: 'oauth',
    title: 'No code_challenge: PKCE is required',
    trigger: authorize({ code_challenge: undefined, code_challenge_method: undefined }),
    expect: sentBack(
      'invalid_request',
      'PKCE is required: send code_challenge (BASE64URL of the SHA-256 of your code_verifier) and code_challenge_method=S256.',
    ),
    explanation:
      'Both clients must use PKCE (RFC 9700 §2.1.1; OAuth 2.1 makes it mandatory): without it, a code intercepted on its way back (a malicious app registered for the same custom scheme, a leaked log) can be exchanged by whoever holds it.',
    rfc: [rfc(7636, '4.4.1'), rfc(9700, '2.1.1'), rfc(6749, '4.1.2.1')],
  },
  {
    id: 'oauth-authorize-pkce-plain',
    family: 'oauth',
    title: 'code_challenge_method=plain',
    trigger: authorize({
      code_challenge: 'plain-text-verifier-is-refused-here-0123456789',
      code_challenge_method: 'plain',
    }),
    expect: sentBack(
      'invalid_request',
      'code_challenge_method=plain is refused: it protects nothing once the request is seen. Use S256.',
    ),
    explanation:
      'With plain, the challenge is the verifier itself: anyone who sees the authorization request (in a log, a proxy, the browser history) holds the proof. RFC 9700 §2.1.1 says to use S256.',
    rfc: [rfc(7636, '4.2'), rfc(7636, '7.2'), rfc(9700, '2.1.1')],
  },
  {
    id: 'oauth-authorize-invalid-scope',
    family: 'oauth',
    title: 'A scope this server does not know',
    trigger: authorize({ scope: 'openid photos:write' }),
    expect: sentBack(
      'invalid_scope',
      'Unknown scope; this server grants openid, profile, data:read, admin.',
    ),
    explanation:
      'An unknown scope is an error on the redirect. A known scope the user may not have (admin, for my_username) is not: the consent page shows it as not granted, and the token response’s `scope` says what was granted (RFC 6749 §3.3).',
    rfc: [rfc(6749, '4.1.2.1'), rfc(6749, '3.3')],
  },
  {
    id: 'oauth-authorize-prompt-none',
    family: 'oauth',
    title: 'prompt=none without a login',
    trigger: authorize({ prompt: 'none' }),
    expect: sentBack('login_required', 'prompt=none, but the user must interact.'),
    explanation:
      'prompt=none asks for an answer without any page (a silent renewal in a hidden frame). With no login to reuse, the answer is login_required on the redirect; with one, consent_required, since this server always asks consent.',
    rfc: [oidc('3.1.2.6', 'AuthError'), oidc('3.1.2.1', 'AuthRequest')],
  },
  {
    id: 'oauth-authorize-csrf',
    family: 'oauth',
    title: 'A consent form posted without its token',
    trigger: postForm('/authorize', { action: 'approve', pending: 'from-another-site' }),
    expect: { status: 403, code: 'csrf_token_invalid', challenge: null },
    explanation:
      'Each form of the flow carries a token bound to the request, the visitor and the time; a page of another site cannot make one, so it cannot approve an authorization in a logged-in user’s name (RFC 6749 §10.12).',
    rfc: problemCatalog.csrf_token_invalid.rfc,
  },
  {
    id: 'oauth-authorize-deny',
    family: 'oauth',
    title: 'The user presses Deny',
    trigger: {
      ...postForm('/authorize', {
        action: 'deny',
        pending: '<the consent form’s pending>',
        csrf_token: '<the consent form’s csrf_token>',
      }),
      fired: false,
      setup:
        'It needs the consent page of a real flow (GET /authorize, then the login form), whose pending id and csrf_token the Deny button posts. Open the trigger of oauth-authorize-login-page in a browser, log in as my_username / my_password, and press Deny.',
    },
    expect: sentBack('access_denied', 'The user denied the request.'),
    explanation:
      'RFC 6749 §4.1.2.1: the resource owner denied the request, and the client hears it on its redirect URI as error=access_denied with its state. A client must show this as a choice the user made, not as a failure to retry.',
    rfc: [rfc(6749, '4.1.2.1')],
  },
  {
    id: 'oauth-authorize-answered-twice',
    family: 'oauth',
    title: 'A consent form posted twice',
    trigger: {
      ...postForm('/authorize', {
        action: 'approve',
        pending: '<the consent form’s pending>',
        csrf_token: '<the consent form’s csrf_token>',
      }),
      fired: false,
      setup:
        'It needs a consent page of a real flow whose form was already posted once: press Allow, then go back and press it again (or re-post the same pending and csrf_token).',
    },
    expect: { status: 400, code: 'authorize_request_expired', challenge: null },
    explanation:
      'A pending authorization is answered once: the first post removes it atomically, so a double click or a replayed form cannot mint two codes.',
    rfc: problemCatalog.authorize_request_expired.rfc,
  },
  {
    id: 'oauth-token-code-unknown',
    family: 'oauth',
    title: 'A code this server never issued',
    trigger: postForm('/auth/token', {
      grant_type: 'authorization_code',
      code: 'SplxlOBeZQQYbYS6WxSbIASplxlOBeZQQYbYS6WxSbI',
      redirect_uri: CALLBACK,
      client_id: 'four-oh-one-spa',
      code_verifier: 'dBjftJeZ4CVP-mJ92K9qB5DsKE5v6LqXzEwvJ8yYnVw',
    }),
    expect: grantError('authorization_code_invalid'),
    explanation:
      'An unknown code is invalid_grant (RFC 6749 §5.2), with our code authorization_code_invalid. Codes are stored only as a digest and forgotten ten minutes after they were issued.',
    rfc: problemCatalog.authorization_code_invalid.rfc,
  },
  {
    id: 'oauth-token-code-expired',
    family: 'oauth',
    title: 'A code exchanged after 60 seconds',
    trigger: { ...exchange(), setup: `${NEEDS_A_CODE} more than 60 seconds after the redirect.` },
    expect: grantError('authorization_code_expired'),
    explanation:
      'Codes live 60 seconds. The OAuth error is invalid_grant; our code says why, so a client developer knows to exchange at once rather than to look for a wrong parameter.',
    rfc: problemCatalog.authorization_code_expired.rfc,
  },
  {
    id: 'oauth-token-code-reused',
    family: 'oauth',
    title: 'A code exchanged twice: the first tokens are revoked',
    trigger: {
      ...exchange(),
      setup: `${NEEDS_A_CODE} twice: the second answers this, and the first answer’s tokens stop working.`,
    },
    expect: grantError('authorization_code_reused'),
    explanation:
      'RFC 6749 §4.1.2: a code used twice is refused, and the server should revoke the tokens issued from it. Here the first exchange’s access token answers token_revoked from then on, and its refresh token invalid_grant.',
    rfc: problemCatalog.authorization_code_reused.rfc,
  },
  {
    id: 'oauth-token-pkce-mismatch',
    family: 'oauth',
    title: 'A wrong code_verifier',
    trigger: {
      ...exchange({ code_verifier: 'not-the-verifier-of-this-flow-0123456789abcdefghijk' }),
      setup: `${NEEDS_A_CODE} with a code_verifier other than the one whose S256 hash was sent as code_challenge.`,
    },
    expect: grantError('pkce_verifier_mismatch'),
    explanation:
      'The whole point of PKCE: only the party that made the code_challenge knows the verifier. A code stolen on its way back is useless without it. The code is spent by the attempt.',
    rfc: problemCatalog.pkce_verifier_mismatch.rfc,
  },
  {
    id: 'oauth-token-redirect-mismatch',
    family: 'oauth',
    title: 'A redirect_uri at the token endpoint other than the authorization request’s',
    trigger: {
      ...exchange({ redirect_uri: `${CALLBACK}?next=/home` }),
      setup: `${NEEDS_A_CODE} with a redirect_uri that differs, by even one character, from the authorization request’s.`,
    },
    expect: grantError('redirect_uri_mismatch'),
    explanation:
      'RFC 6749 §4.1.3: the redirect_uri of the token request must be identical to the authorization request’s. A common client bug: building the two from different configuration (a trailing slash, http against https, an added query).',
    rfc: problemCatalog.redirect_uri_mismatch.rfc,
  },
  {
    id: 'oauth-token-client-mismatch',
    family: 'oauth',
    title: 'A code issued to another client',
    trigger: {
      ...exchange(),
      setup: `${NEEDS_A_CODE} as four-oh-one-spa, for a code issued to four-oh-one-web (start the flow with client_id=four-oh-one-web).`,
    },
    expect: grantError('authorization_code_client_mismatch'),
    explanation:
      'A code is bound to the client it was issued to. Another client presenting it, even a registered one, is refused: otherwise one client could redeem codes meant for another.',
    rfc: problemCatalog.authorization_code_client_mismatch.rfc,
  },
  {
    id: 'oauth-token-web-client-credentials',
    family: 'oauth',
    title: 'The web client asks for client_credentials',
    trigger: {
      method: 'POST',
      path: '/auth/token',
      headers: { Authorization: 'Basic Zm91ci1vaC1vbmUtd2ViOmZvdXItb2gtb25lLXdlYi1zZWNyZXQ=' },
      body: { grant_type: 'client_credentials' },
      contentType: 'form',
    },
    expect: grantError('unauthorized_client'),
    explanation:
      'four-oh-one-web authenticated (its secret is right), but it is registered to act for users only. RFC 6749 §5.2 calls that unauthorized_client, a 400: the client is known, the grant is not one it may use.',
    rfc: problemCatalog.unauthorized_client.rfc,
  },
  {
    id: 'oidc-discovery',
    family: 'oauth',
    title: 'OpenID Connect discovery',
    trigger: { method: 'GET', path: '/.well-known/openid-configuration' },
    expect: { status: 200, challenge: null },
    explanation:
      'What an OpenID Connect library reads first: the issuer (which must equal the id_token’s `iss` and the authorization response’s `iss`), the endpoints, the JWKS, response type code, PKCE S256, ES256 id_tokens and the acr values this server honours.',
    rfc: [
      {
        label: 'OpenID Connect Discovery §3',
        url: 'https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata',
      },
      rfc(8414, '2'),
    ],
  },
  {
    id: 'oidc-userinfo-no-token',
    family: 'oauth',
    title: 'GET /userinfo without a token',
    trigger: { method: 'GET', path: '/userinfo' },
    expect: { status: 401, code: 'token_missing', challenge: noError },
    explanation:
      'The UserInfo endpoint is an OAuth protected resource (OpenID Connect Core §5.3.3): without a token it answers 401 with the RFC 6750 Bearer challenge, and no error attribute, since no credentials were sent.',
    rfc: [oidc('5.3.3', 'UserInfoError'), rfc(6750, '3')],
  },
  {
    id: 'oidc-userinfo-expired',
    family: 'oauth',
    title: 'GET /userinfo with an expired access token',
    trigger: { method: 'GET', path: '/userinfo', headers: bearer('expired') },
    expect: { status: 401, code: 'token_expired', challenge: invalidToken('token_expired') },
    explanation:
      'As on every protected resource: error="invalid_token" in the challenge. Refresh the access token and retry once.',
    rfc: [oidc('5.3.3', 'UserInfoError'), rfc(6750, '3.1')],
  },
  {
    id: 'oidc-userinfo-without-openid',
    family: 'oauth',
    title: 'GET /userinfo with a token not granted openid',
    trigger: { method: 'GET', path: '/userinfo', headers: bearer('valid') },
    expect: { status: 403, code: 'insufficient_scope', challenge: insufficientScope('openid') },
    explanation:
      'UserInfo answers tokens granted the openid scope (OpenID Connect Core §5.3). A valid token without it is 403 insufficient_scope, never 401: authenticating again with the same scopes would not help.',
    rfc: [oidc('5.3', 'UserInfo'), rfc(6750, '3.1')],
  },
  {
    id: 'oidc-id-token-as-access-token',
    family: 'oauth',
    title: 'An id_token sent as an access token',
    trigger: { method: 'GET', path: '/api/v1/data', headers: bearer('id_token') },
    expect: {
      status: 401,
      code: 'token_type_invalid',
      challenge: orDpop(invalidToken('token_type_invalid')),
    },
    explanation:
      'A common mistake: the id_token is a signed statement for the client (its `aud` is the client_id) about who logged in; it is not a credential for an API. This server’s signature check passes (its ES256 key signed it), but its header typ is JWT, not at+jwt (RFC 9068 §2.1), and its audience is the client, not this API: send the access_token.',
    rfc: [rfc(9068, '2.1'), rfc(9068, '4'), oidc('2', 'IDToken'), rfc(8725, '3.11')],
  },
  {
    id: 'oidc-key-rotation',
    family: 'oauth',
    title: 'A token signed by a key no longer in the JWKS',
    trigger: { method: 'GET', path: '/userinfo', headers: bearer('unknown_kid') },
    expect: {
      status: 401,
      code: 'token_kid_unknown',
      challenge: invalidToken('token_kid_unknown'),
    },
    explanation:
      'After a key rotation, tokens name a kid the JWKS no longer lists. A resource refuses them (invalid_token); a client that caches the JWKS to check id_tokens must fetch it again when it meets an unknown kid (once, rate-limited), and only then fail.',
    rfc: [rfc(7517, '4.5'), oidc('10.1.1', 'RotateSigKeys'), rfc(6750, '3.1')],
  },
  {
    id: 'oidc-key-rotated-out',
    family: 'oauth',
    title: 'An access token signed by an ES256 key rotated out of the JWKS',
    trigger: { method: 'GET', path: '/api/v1/data', headers: bearer('rotated_out_key') },
    expect: {
      status: 401,
      code: 'token_key_retired',
      challenge: orDpop(invalidToken('token_key_retired')),
    },
    explanation:
      'Signed with an ES256 key this server once published and has since rotated out: GET /.well-known/jwks.json no longer lists its kid, while the kid of a token issued now is there. The server still remembers the key, so it answers token_key_retired (old, not forged) rather than token_kid_unknown. A client that caches the JWKS (for id_tokens, OpenID Connect Core §10.1.1) does the same on an unknown kid: fetch the JWKS again, once, and rate-limit those fetches so forged kids cannot make it hammer the issuer; if the kid is still absent, refuse the token. Remedy: get a new token (refresh, or log in again) and retry once.',
    rfc: [rfc(7517, '4.5'), oidc('10.1.1', 'RotateSigKeys'), rfc(6750, '3.1')],
  },
];
