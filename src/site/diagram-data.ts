import type { Family, HttpMethod } from '../scenarios/types';

/**
 * The sequence diagrams, as data. A step that is an exchange names a registry scenario (`ask`):
 * its method and path come from the scenario's trigger, and its answer (status, problem code,
 * challenge parameters, headers) from the scenario's expectation, so a diagram cannot say
 * something the server does not (src/site/diagrams.ts resolves them; test/site/diagrams.test.ts
 * checks every label against the registry). Only what a diagram adds is written here: what the
 * request carries, in words, and which parts of the answer to show.
 *
 * An answer no stateless replay can make (a refresh with a refresh token just issued, a heartbeat
 * on a live session, a Digest response to a fresh nonce) has no scenario; such a step is `http`,
 * and the test checks its status against the routes' documented successes (src/openapi/table.ts).
 */

/** An exchange taken from a registry scenario: a request arrow and its answer arrow. */
export interface AskStep {
  ask: string;
  /** Lane indexes; by default 0 (the client) asks 1 (the server). */
  from?: number;
  to?: number;
  /** What the request carries, in words (its method and path come from the scenario). */
  send?: string;
  /**
   * The challenge parameters to show, beside its scheme; absent: the scheme and realm; an empty
   * list: the whole challenge, for schemes without parameters (Negotiate, NTLM).
   */
  params?: string[];
  /** Response headers of the scenario's expectation to show, by name. */
  headers?: string[];
  /** What the answer means, in a few words. */
  say?: string;
}

/** An exchange no registry scenario can show (see above): its success status is documented. */
export interface HttpStep {
  http: { method: HttpMethod; path: string; status: number };
  from?: number;
  to?: number;
  send?: string;
  say?: string;
}

/** A message that is not HTTP (a script calling fetch, the browser answering it). */
export interface MessageStep {
  message: string;
  from: number;
  to: number;
}

/** Time passing, or a choice the client makes, across every lane. */
export interface NoteStep {
  note: string;
}

export type StepSpec = AskStep | HttpStep | MessageStep | NoteStep;

export interface DiagramSpec {
  /** Unique on a page: element ids derive from it. */
  id: string;
  family: Family;
  title: string;
  /** One or two sentences: the SVG's <desc>, and the caption. */
  summary: string;
  /** The lanes, left to right. */
  participants: string[];
  steps: StepSpec[];
}

const DATA_LANES = ['Client', 'Server'];

const LOGIN: AskStep = {
  ask: 'session-login',
  send: 'username, password (a form)',
  say: 'Set-Cookie: the session',
};

/** A heartbeat on a live session: no scenario, as the cookie of a live session is nobody's. */
const heartbeat = (send: string, say: string): HttpStep => ({
  http: { method: 'POST', path: '/keepalive', status: 200 },
  send: `Cookie: the session, ${send}`,
  say,
});

export const DIAGRAMS: readonly DiagramSpec[] = [
  {
    id: 'bearer-challenge',
    family: 'bearer',
    title: 'Bearer challenge and response',
    summary:
      'A request without a token gets 401 and a challenge that names the scheme; the client retries with a Bearer token and gets the data.',
    participants: DATA_LANES,
    steps: [
      { ask: 'bearer-missing', send: 'no Authorization header', say: 'which scheme to use' },
      { note: 'The client gets an access token (POST /auth/token, the tokens family).' },
      { ask: 'bearer-valid', send: 'Authorization: Bearer <access token>', say: 'the data' },
    ],
  },
  {
    id: 'refresh-and-retry',
    family: 'tokens',
    title: 'Refresh and retry once',
    summary:
      'The first article’s fix: on 401 token_expired the client refreshes its token at POST /auth/token and retries the request once; a second 401 is final.',
    participants: ['Client', 'GET /api/v1/data', 'POST /auth/token'],
    steps: [
      {
        ask: 'token-expired',
        send: 'Authorization: Bearer <expired token>',
        params: ['error', 'error_description'],
      },
      {
        http: { method: 'POST', path: '/auth/token', status: 200 },
        to: 2,
        send: 'grant_type=refresh_token, refresh_token=<refresh token>',
        say: 'a new access token and a new refresh token (rotation)',
      },
      { ask: 'bearer-valid', send: 'Authorization: Bearer <new access token>', say: 'the data' },
      { note: 'Retry once only: a second 401 means log in again, never loop.' },
    ],
  },
  {
    id: 'authorization-code',
    family: 'oauth',
    title: 'The authorization code flow with PKCE',
    summary:
      'The app sends the browser to /authorize with a code_challenge; the user logs in and allows; the browser brings back a code that works once, for 60 seconds, with the code_verifier.',
    participants: ['Browser', 'Client app', 'Authorization server'],
    steps: [
      { message: 'Sign in: go to /authorize', from: 1, to: 0 },
      {
        http: { method: 'GET', path: '/authorize', status: 200 },
        from: 0,
        to: 2,
        send: 'client_id, redirect_uri, state, code_challenge (S256)',
        say: 'the login page (nothing stored yet)',
      },
      {
        http: { method: 'POST', path: '/authorize', status: 200 },
        from: 0,
        to: 2,
        send: 'username, password, csrf_token',
        say: 'the consent page',
      },
      {
        http: { method: 'POST', path: '/authorize', status: 303 },
        from: 0,
        to: 2,
        send: 'action=approve',
        say: 'Location: redirect_uri?code, state, iss',
      },
      { message: 'code, state (checked against its own)', from: 0, to: 1 },
      {
        http: { method: 'POST', path: '/auth/token', status: 200 },
        from: 1,
        to: 2,
        send: 'grant_type=authorization_code, code, code_verifier',
        say: 'access token, refresh token, id_token',
      },
      {
        ask: 'oauth-token-code-reused',
        from: 1,
        to: 2,
        send: 'the same code again',
        say: 'and the first tokens are revoked',
      },
    ],
  },
  {
    id: 'session-idle',
    family: 'session',
    title: 'Session: the heartbeat keeps the idle timeout away',
    summary:
      'Each request within SESSION_IDLE_SECONDS restarts the idle window; a gap longer than that ends the session.',
    participants: DATA_LANES,
    steps: [
      LOGIN,
      heartbeat('sooner than SESSION_IDLE_SECONDS', 'kept alive: the idle window starts again'),
      { note: 'No request for longer than SESSION_IDLE_SECONDS.' },
      { ask: 'session-idle-expired', send: 'Cookie: the idle session', params: ['form-action'] },
    ],
  },
  {
    id: 'session-absolute',
    family: 'session',
    title: 'Session: the absolute lifetime ends it anyway',
    summary:
      'However often the heartbeat runs, a session ends SESSION_ABSOLUTE_SECONDS after login; the client logs in again.',
    participants: DATA_LANES,
    steps: [
      LOGIN,
      heartbeat('every few seconds', 'kept alive'),
      { note: 'SESSION_ABSOLUTE_SECONDS after the login, heartbeats or not.' },
      {
        ask: 'session-absolute-expired',
        send: 'Cookie: the busy session',
        params: ['form-action'],
      },
      { ask: 'session-login', send: 'username, password again', say: 'a new session' },
    ],
  },
  {
    id: 'step-up',
    family: 'admin',
    title: 'Step-up: a valid token whose login is too old (RFC 9470)',
    summary:
      'A sensitive route refuses a valid token whose login is older than max_age with 401 insufficient_user_authentication; the user logs in again and the new token passes.',
    participants: DATA_LANES,
    steps: [
      {
        ask: 'step-up-stale-login',
        send: 'Authorization: Bearer <token from an old login>',
        params: ['error', 'max_age'],
      },
      {
        ask: 'auth-token-password',
        send: 'grant_type=password: the user logs in again',
        say: 'a token with a fresh auth_time',
      },
      { ask: 'step-up-fresh-login', send: 'Authorization: Bearer <fresh token>' },
    ],
  },
  {
    id: 'admin-401-403',
    family: 'admin',
    title: '401 versus 403 at the admin panel',
    summary:
      'No token is 401 with a challenge: authenticate. A valid token of a user who is not an admin is 403: another login of the same user would not help.',
    participants: DATA_LANES,
    steps: [
      { ask: 'admin-no-token', send: 'no Authorization header' },
      { ask: 'admin-as-user', send: 'Authorization: Bearer <a user’s token>', say: 'no challenge' },
      { ask: 'admin-as-admin', send: 'Authorization: Bearer <an admin’s token>' },
    ],
  },
  {
    id: 'cors-preflight',
    family: 'cors',
    title: 'A CORS preflight, then the request with credentials',
    summary:
      'A script on another origin sends an Authorization header, so the browser first asks with an OPTIONS preflight that carries no credentials; the server allows the origin, then the real request’s 401 reaches the script with its challenge exposed.',
    participants: ['Page script', 'Browser', 'Server'],
    steps: [
      { message: 'fetch("/api/v1/data", Authorization: Bearer …)', from: 0, to: 1 },
      {
        ask: 'cors-preflight',
        from: 1,
        to: 2,
        send: 'Origin, Access-Control-Request-Headers: authorization; no credentials',
        headers: ['access-control-allow-origin', 'access-control-allow-headers'],
      },
      {
        ask: 'cors-expired-token',
        from: 1,
        to: 2,
        send: 'Origin, Authorization: Bearer <expired token>',
        params: ['error'],
        headers: ['access-control-allow-origin', 'access-control-expose-headers'],
      },
      { message: 'response: status 401 and WWW-Authenticate readable', from: 1, to: 0 },
    ],
  },
  {
    id: 'digest-stale',
    family: 'classic',
    title: 'The Digest handshake, and a stale nonce',
    summary:
      'The server challenges with a nonce; the client answers with a hash of the password and that nonce. When the nonce ages out the server says stale=true, and the client retries with the new nonce without asking the user again.',
    participants: DATA_LANES,
    steps: [
      { ask: 'digest-auth-challenge', send: 'no Authorization header', params: ['qop', 'nonce'] },
      {
        http: { method: 'GET', path: '/digest-auth/auth/user/passwd/SHA-256', status: 200 },
        send: 'Authorization: Digest username, nonce, nc, cnonce, response',
        say: 'authenticated',
      },
      { note: 'Later: the nonce has expired.' },
      {
        ask: 'digest-auth-stale-nonce',
        send: 'Authorization: Digest … with the old nonce',
        params: ['nonce', 'stale'],
        say: 'the password was right: retry',
      },
      {
        http: { method: 'GET', path: '/digest-auth/auth/user/passwd/SHA-256', status: 200 },
        send: 'Authorization: Digest … with the new nonce',
        say: 'no new prompt for the password',
      },
    ],
  },
  {
    id: 'basic-challenge',
    family: 'classic',
    title: 'Basic challenge and response',
    summary:
      'Without credentials the server answers 401 with a Basic challenge; the client sends user:password in base64 and gets in.',
    participants: DATA_LANES,
    steps: [
      { ask: 'basic-auth-missing', send: 'no Authorization header', params: ['charset'] },
      { ask: 'basic-auth-valid', send: 'Authorization: Basic base64(user:passwd)' },
    ],
  },
  {
    id: 'ntlm-handshake',
    family: 'ntlm',
    title: 'The NTLM handshake: three messages on one connection',
    summary:
      'The client opens with a NEGOTIATE message, the 401 carries the server’s CHALLENGE, and the AUTHENTICATE message with the NTLMv2 response must come on the same TCP connection, where the challenge is remembered.',
    participants: DATA_LANES,
    steps: [
      {
        ask: 'ntlm-challenge',
        send: 'no Authorization header',
        params: [],
        say: 'two schemes offered',
      },
      { note: 'One keep-alive TCP connection from here on.' },
      {
        ask: 'ntlm-negotiate-message',
        send: 'Authorization: NTLM <type 1: NEGOTIATE>',
        params: [],
        say: 'type 2: server challenge, target info',
      },
      {
        http: { method: 'GET', path: '/ntlm/resource', status: 200 },
        send: 'Authorization: NTLM <type 3: user, domain, NTLMv2 response>',
        say: 'authenticated; no final token',
      },
    ],
  },
  {
    id: 'ntlm-new-connection',
    family: 'ntlm',
    title: 'A proxy that changes connections mid-handshake',
    summary:
      'A proxy that pools its upstream connections sends the AUTHENTICATE message over another connection than the one that carried the challenge: the server has no challenge there, and the handshake fails however right the password.',
    participants: ['Client', 'Proxy', 'Server'],
    steps: [
      {
        ask: 'ntlm-negotiate-message',
        from: 1,
        to: 2,
        send: 'upstream connection A: NTLM <type 1>',
        params: [],
        say: 'challenge remembered on A',
      },
      { message: '401 with the CHALLENGE, passed back', from: 1, to: 0 },
      { message: 'NTLM <type 3>, on the client’s same connection', from: 0, to: 1 },
      {
        ask: 'ntlm-connection-changed',
        from: 1,
        to: 2,
        send: 'upstream connection B: NTLM <type 3>',
        params: [],
        say: 'no challenge on B: start over',
      },
    ],
  },
  {
    id: 'oauth1-signed-request',
    family: 'oauth1',
    title: 'An OAuth 1.0a signed request, and its replay',
    summary:
      'Without a signature the resource answers 401 with an OAuth challenge. The client signs the method, the URL and every parameter with its secrets, a timestamp and a fresh nonce, and is served; the same signed request sent again is refused, since its nonce was used.',
    participants: DATA_LANES,
    steps: [
      { ask: 'oauth1-missing', send: 'no Authorization header' },
      {
        http: { method: 'GET', path: '/oauth1/resource', status: 200 },
        send: 'Authorization: OAuth oauth_consumer_key, oauth_token, oauth_timestamp, oauth_nonce, oauth_signature',
        say: 'the signature verified; the nonce is remembered',
      },
      { note: 'An attacker (or a naive retry) sends the very same request again.' },
      { ask: 'oauth1-nonce-reused', send: 'the same Authorization: OAuth …' },
      { note: 'Or a client signs a + for a space (a form encoder, not RFC 3986).' },
      {
        ask: 'oauth1-signature-encoding',
        send: 'Authorization: OAuth … signed over Hello+Ladies…',
      },
    ],
  },
  {
    id: 'gnap-grant',
    family: 'gnap',
    title: 'GNAP: the resource names the AS, the AS binds a token to the client’s key',
    summary:
      'Without a token the resource answers with the AS to ask and the access to ask for; the client sends its key in a signed grant request, gets a token at once, and signs every request with the same key.',
    participants: DATA_LANES,
    steps: [
      { ask: 'gnap-challenge', send: 'no Authorization header', params: ['as_uri', 'access'] },
      {
        http: { method: 'POST', path: '/gnap/grant', status: 200 },
        send: 'access_token.access, client.key.jwk, signed with that key',
        say: 'access_token: value, access, expires_in 300',
      },
      {
        ask: 'gnap-complete',
        send: 'GNAP <value>, signed: @method @target-uri authorization',
        say: 'the bound key verified the signature',
      },
      { ask: 'gnap-access-insufficient', send: 'a read token on POST', params: ['access'] },
    ],
  },
  {
    id: 'concealed-probe',
    family: 'concealed',
    title: 'Concealed: nothing to probe, a proof bound to the TLS connection',
    summary:
      'A hidden resource answers a missing or failed credential as a path that does not exist; the teaching resource names what failed, here the TLS exporter that plain http lacks.',
    participants: DATA_LANES,
    steps: [
      { ask: 'concealed-hidden', send: 'no Authorization header', say: 'as if nothing were there' },
      { ask: 'concealed-missing', send: 'no Authorization header', params: [] },
      {
        ask: 'concealed-tls-required',
        send: 'Concealed k, a, p, s, v over plain http',
        params: [],
        say: 'no exporter to check v and p against',
      },
      {
        ask: 'concealed-complete',
        send: 'over TLS 1.3: v and p from the exporter',
        say: 'both match this connection',
      },
    ],
  },
  {
    id: 'scram-exchange',
    family: 'scram',
    title: 'SCRAM over HTTP: two rounds and a server signature',
    summary:
      'The client sends its user name and a nonce, the 401 carries a sid and the salt, iteration count and combined nonce; the client proves the password without sending it, and the 200 proves the server knows it too.',
    participants: DATA_LANES,
    steps: [
      { ask: 'scram-challenge', send: 'no Authorization header', params: ['realm'] },
      {
        ask: 'scram-client-first',
        send: 'SCRAM-SHA-256 data=base64(n,,n=user,r=client nonce)',
        params: ['sid', 'data'],
        say: 'data: r=nonces, s=salt, i=4096',
      },
      {
        http: { method: 'GET', path: '/scram/resource', status: 200 },
        send: 'SCRAM-SHA-256 sid, data=base64(c=biws,r=nonces,p=ClientProof)',
        say: 'Authentication-Info: sid, data=base64(v=ServerSignature)',
      },
    ],
  },
  {
    id: 'mutual-exchange',
    family: 'mutual',
    title: 'Mutual: as far as this server goes',
    summary:
      'The 401-INIT names the algorithm; the client’s req-KEX-C1 is checked and answered 501, because the RFC 8121 key exchange that would follow (401-KEX-S1, req-VFY-C, 200-VFY-S) is not implemented here.',
    participants: DATA_LANES,
    steps: [
      { ask: 'mutual-challenge', send: 'no Authorization header', params: ['algorithm', 'reason'] },
      {
        ask: 'mutual-kex-c1',
        send: 'Mutual …, user, kc1 = g^s mod p',
        say: 'not implemented: no 401-KEX-S1',
      },
    ],
  },
  {
    id: 'hoba-login',
    family: 'hoba',
    title: 'HOBA: register a key, then sign a challenge',
    summary:
      'The client makes a key pair and registers its public half with a request signed by the private half; later it signs each fresh challenge together with the origin and realm, and the server checks the signature with the key it keeps.',
    participants: DATA_LANES,
    steps: [
      {
        ask: 'hoba-register-challenge',
        send: 'kidtype, kid, didtype, did, alg, pub (a form)',
        params: ['challenge', 'max-age'],
      },
      {
        ask: 'hoba-register-complete',
        send: 'the form, HOBA result=kid.challenge.nonce.sig',
        headers: ['Hobareg'],
      },
      { ask: 'hoba-challenge', send: 'no Authorization header', params: ['challenge', 'max-age'] },
      {
        http: { method: 'GET', path: '/hoba/resource', status: 200 },
        send: 'HOBA result=kid.challenge.nonce.sig',
        say: 'signed: nonce, alg, origin, realm, kid, challenge',
      },
    ],
  },
  {
    id: 'openai-key',
    family: 'openai',
    title: 'An OpenAI-style client and its key',
    summary:
      'Without a key the API answers 401 in OpenAI’s error envelope, still with a Bearer challenge; with the key (or an access token) it lists the models.',
    participants: DATA_LANES,
    steps: [
      { ask: 'openai-missing-key', send: 'no Authorization header' },
      { ask: 'openai-valid-key', send: 'Authorization: Bearer sk-demo-four-oh-one' },
    ],
  },
  {
    id: 'echo',
    family: 'echo',
    title: 'The echo: what your client sent, secrets decoded',
    summary:
      'The echo answers the request as the server received it: every header field, and the credentials read without their secrets.',
    participants: DATA_LANES,
    steps: [
      {
        ask: 'echo-headers',
        send: 'X-Hello: from the playground',
        say: 'the fields as they arrived',
      },
      {
        ask: 'echo-bearer-jwt',
        send: 'Authorization: Bearer <expired JWT>',
        say: 'its header and payload decoded, not verified; no signature',
      },
    ],
  },
  {
    id: 'vapid-push',
    family: 'vapid',
    title: 'Web Push with VAPID: a restricted subscription',
    summary:
      'The application server pushes to the subscription’s endpoint with a JWT signed by the key the subscription was created with. Without credentials the push service answers 401 with no challenge (RFC 8292 forbids one); with another key, 403.',
    participants: ['Application server', 'Push service'],
    steps: [
      {
        http: { method: 'GET', path: '/push/subscription', status: 200 },
        send: 'the page sent its subscription',
        say: 'endpoint, p256dh, auth, applicationServerKey',
      },
      {
        ask: 'vapid-credentials-missing',
        send: 'TTL: 60, no Authorization',
        say: '401 with no WWW-Authenticate: the client already knows the scheme',
      },
      {
        ask: 'vapid-key-mismatch',
        send: 'vapid t=<JWT>, k=<another key>',
        say: 'not the subscription’s key',
      },
      {
        ask: 'vapid-push-accepted',
        send: 'Authorization: vapid t=<ES256 JWT>, k=<applicationServerKey>, TTL: 60',
        headers: ['TTL'],
        say: 'accepted',
      },
    ],
  },
  {
    id: 'dpop',
    family: 'dpop',
    title: 'DPoP: tokens bound to the client’s key',
    summary:
      'The client signs a proof with its own key for the token request and for every call: the tokens are bound to that key (cnf.jkt), a proof works once, and a server may demand a nonce first.',
    participants: DATA_LANES,
    steps: [
      {
        ask: 'dpop-token-request-nonce',
        send: 'DPoP: a proof for POST /auth/token (no nonce), dpop_nonce=required',
        headers: [],
        say: 'use_dpop_nonce, with a DPoP-Nonce to use',
      },
      {
        ask: 'dpop-token-request',
        send: 'DPoP: a new proof with the nonce',
        say: 'token_type DPoP, cnf.jkt = the key’s thumbprint',
      },
      {
        ask: 'dpop-resource-accepted',
        send: 'Authorization: DPoP <token>, DPoP: a proof for this GET with ath',
        say: 'the data',
      },
      {
        ask: 'dpop-proof-replayed',
        send: 'the same proof again',
        params: ['error'],
      },
      {
        ask: 'dpop-bound-token-as-bearer',
        send: 'Authorization: Bearer <the same token>, no proof',
        params: ['error'],
      },
      {
        ask: 'dpop-nonce-required',
        send: 'a proof without the resource’s nonce',
        params: ['error'],
        say: 'DPoP-Nonce: make a new proof with it, retry once',
      },
    ],
  },
  {
    id: 'privatetoken-redeem',
    family: 'privatetoken',
    title: 'Privacy Pass: challenge, issuance, redemption once',
    summary:
      'The origin challenges with a TokenChallenge and the issuer’s key; the client gets a token for it from the issuer and redeems it once. A second redemption of the same token is refused.',
    participants: ['Client', 'Origin', 'Issuer'],
    steps: [
      { ask: 'privatetoken-challenge', send: 'no Authorization', params: ['token-key', 'max-age'] },
      {
        http: { method: 'POST', path: '/privacypass/demo-issuer', status: 200 },
        to: 2,
        send: '{"challenge": "<the challenge parameter>"}',
        say: 'a token (the demo issuer sees the challenge; a real one would not)',
      },
      {
        http: { method: 'GET', path: '/privacypass/resource', status: 200 },
        send: 'Authorization: PrivateToken token="…"',
        say: 'redeemed; its nonce is now spent',
      },
      { ask: 'privatetoken-spent', send: 'the same token again', params: ['max-age'] },
    ],
  },
  {
    id: 'runs',
    family: 'runs',
    title: 'Grading a client: a run, its requests, its report',
    summary:
      'A client test opens a run, sends its requests under the run’s base URL (or with X-Run-Id), and reads the report: each rule passed or broken, with the request numbers that show it.',
    participants: DATA_LANES,
    steps: [
      {
        ask: 'runs-open',
        send: '{"script": "expiry"}',
        headers: ['Cache-Control'],
        say: 'id, base_url, X-Run-Id, report_url',
      },
      {
        note: 'Your client runs under base_url: its first token answers 401 token_expired; it refreshes once and retries once.',
      },
      {
        http: { method: 'GET', path: '/runs/{id}/report', status: 200 },
        say: 'passed, findings (empty), every rule with its evidence',
      },
      {
        ask: 'runs-not-found',
        send: 'X-Run-Id: a run never opened',
        say: 'not served, not recorded',
      },
    ],
  },
  {
    id: 'platform-errors',
    family: 'platform',
    title: 'Answers that are not about credentials',
    summary:
      'A path nobody serves is 404 and a method a path does not take is 405 with Allow: no challenge, since no credentials would help.',
    participants: DATA_LANES,
    steps: [
      { ask: 'platform-not-found', say: 'no challenge' },
      { ask: 'platform-method-not-allowed', headers: ['Allow'] },
    ],
  },
];
