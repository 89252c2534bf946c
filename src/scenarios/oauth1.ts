import { problemCatalog, type ProblemCode } from './catalog';
import { rfc } from './refs';
import type { FamilyInfo, Scenario } from './types';

/** The protected resource of the family. */
const RESOURCE = '/oauth1/resource';
/** The challenge of every 401 (RFC 5849 §3.5.1). */
const OAUTH1 = 'OAuth realm="four-oh-one"';
/** A timestamp long out of the window: 2025-12-01T00:00:00Z. */
const OLD_TIMESTAMP = '1764547200';
/** A well-formed HMAC-SHA1 signature value that signs nothing here (percent-encoded base64). */
const SOME_SIGNATURE = 'tR3%2BTy81lMeYAr%2FFid0kMTYa%2FWM%3D';

/** The protocol parameters of a demo request, which a card changes one at a time. */
const DEMO_PARAMS: Record<string, string> = {
  oauth_consumer_key: 'four-oh-one-consumer',
  oauth_token: 'four-oh-one-token',
  oauth_signature_method: 'HMAC-SHA1',
  oauth_timestamp: OLD_TIMESTAMP,
  oauth_nonce: 'kllo9940pd9333jh',
  oauth_version: '1.0',
  oauth_signature: SOME_SIGNATURE,
};

/** An `Authorization: OAuth …` value (RFC 5849 §3.5.1) of the demo parameters, changed so. */
function oauthHeader(changes: Record<string, string | undefined> = {}): { Authorization: string } {
  const params = { ...DEMO_PARAMS, ...changes };
  const pairs = Object.entries(params)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}="${value}"`);
  return { Authorization: `OAuth realm="four-oh-one", ${pairs.join(', ')}` };
}

/** A refusal: 401 with the OAuth challenge, or a 400 with none (RFC 5849 §3.2). */
const refused = (code: ProblemCode): Scenario['expect'] => ({
  status: problemCatalog[code].status,
  code,
  challenge: problemCatalog[code].status === 401 ? OAUTH1 : null,
});

/** How a card that needs the current time is realised (test/scenario-setups.test.ts does). */
const SIGN_NOW =
  'oauth_timestamp must be within 300 seconds of the server’s clock and the signature covers the URL the request is sent to, so this card cannot be fired as written: sign it with an OAuth 1.0a library and the published demo credentials, as README.md shows (requests-oauthlib, oauth-1.0a).';

/** How the three-legged cards get their temporary credentials (test/scenario-setups.test.ts does). */
const THREE_LEGS =
  'Get temporary credentials: sign a POST to /oauth1/request_token with the demo client credentials and oauth_callback="oob" (requests-oauthlib: OAuth1Session(key, client_secret=secret, callback_uri="oob").fetch_request_token(…)).';

/** The family's heading in /scenarios, the playground and the OpenAPI tags. */
export const family: FamilyInfo = {
  title: 'OAuth 1.0a signed requests (RFC 5849, scheme OAuth)',
  summary:
    'The scheme large public APIs still use: every request signed with the client’s and the token’s secrets over a signature base string of the method, the URL and every parameter (RFC 5849 §3.4), HMAC-SHA1, HMAC-SHA256, RSA-SHA1, or PLAINTEXT over https. /oauth1/resource verifies them with published demo credentials, and refuses each way a signed request goes wrong with its own code: no signature, unreadable or duplicated or missing parameters, an unsupported method (400, as RFC 5849 §3.2 says), an unknown consumer key, an unknown or revoked token, a timestamp out of the window, a reused nonce, a wrong signature, and the classic percent-encoding bug, told apart from a wrong signature (401 with `WWW-Authenticate: OAuth realm="four-oh-one"`). The three legs that issue token credentials (RFC 5849 §2) run too: temporary credentials, the resource owner’s approval page, the token request with its verifier, each refused its own way.',
};

/** The family's scenarios, in the order /scenarios and the playground list them. */
export const scenarios: Scenario[] = [
  {
    id: 'oauth1-valid',
    family: 'oauth1',
    title: 'A request signed with HMAC-SHA1 and the demo credentials, now',
    trigger: {
      method: 'GET',
      path: `${RESOURCE}?file=vacation.jpg`,
      headers: oauthHeader({
        oauth_timestamp: '<now>',
        oauth_nonce: '<random>',
        oauth_signature: '<HMAC-SHA1 of the signature base string, base64, percent-encoded>',
      }),
      fired: false,
      setup: SIGN_NOW,
    },
    expect: { status: 200, challenge: null },
    explanation:
      'The signature base string is `GET&` + the encoded base string URI (`http%3A%2F%2F127.0.0.1%3A3000%2Foauth1%2Fresource`, no query) + `&` + the encoded, sorted parameters: `file=vacation.jpg` from the query with every `oauth_…` parameter but the signature (RFC 5849 §3.4.1). The HMAC-SHA1 key is `four-oh-one-consumer-secret&four-oh-one-token-secret` (§3.4.2). The answer names the consumer, the token and its user; a request signed with the client credentials alone (no oauth_token, two-legged) is served too.',
    rfc: [rfc(5849, '3.4.1'), rfc(5849, '3.4.2'), rfc(5849, '3.5.1')],
  },
  {
    id: 'oauth1-missing',
    family: 'oauth1',
    title: 'No OAuth credentials at an OAuth 1.0a resource',
    trigger: { method: 'GET', path: RESOURCE },
    expect: refused('oauth1_credentials_missing'),
    explanation:
      'The challenge names the `OAuth` scheme and its realm only: RFC 5849 defines no other challenge parameter, and no error parameter either, so the refusals below tell themselves apart by their problem code.',
    rfc: problemCatalog.oauth1_credentials_missing.rfc,
  },
  {
    id: 'oauth1-other-scheme',
    family: 'oauth1',
    title: 'A Bearer token at an OAuth 1.0a resource',
    trigger: {
      method: 'GET',
      path: RESOURCE,
      headers: { Authorization: 'Bearer four-oh-one-token' },
    },
    expect: refused('oauth1_credentials_missing'),
    explanation:
      'OAuth 2.0’s Bearer scheme and OAuth 1.0a’s OAuth scheme are different schemes: an OAuth 1.0a token sent as a Bearer token is no signed request, so the resource answers as if no credentials were sent, with the challenge that names the scheme it takes.',
    rfc: [rfc(5849, '3.5.1'), rfc(9110, '11.6.1')],
  },
  {
    id: 'oauth1-malformed',
    family: 'oauth1',
    title: 'OAuth parameters without their quotes',
    trigger: {
      method: 'GET',
      path: RESOURCE,
      headers: {
        Authorization:
          'OAuth oauth_consumer_key=four-oh-one-consumer, oauth_signature_method=HMAC-SHA1',
      },
    },
    expect: refused('oauth1_request_malformed'),
    explanation:
      'RFC 5849 §3.5.1 quotes every value (`name="value"`); a header built by hand without the quotes cannot be read, so nothing else is checked.',
    rfc: problemCatalog.oauth1_request_malformed.rfc,
  },
  {
    id: 'oauth1-version-unsupported',
    family: 'oauth1',
    title: 'oauth_version="2.0" in a signed request',
    trigger: { method: 'GET', path: RESOURCE, headers: oauthHeader({ oauth_version: '2.0' }) },
    expect: refused('oauth1_request_malformed'),
    explanation:
      '`oauth_version` is optional, and when it is sent it must be `1.0` (RFC 5849 §3.1): OAuth 1.0a kept the version number of OAuth Core 1.0. An unsupported parameter value is a 400 (§3.2).',
    rfc: [rfc(5849, '3.1'), rfc(5849, '3.2')],
  },
  {
    id: 'oauth1-parameter-missing',
    family: 'oauth1',
    title: 'A signed request without oauth_nonce',
    trigger: { method: 'GET', path: RESOURCE, headers: oauthHeader({ oauth_nonce: undefined }) },
    expect: refused('oauth1_parameter_missing'),
    explanation:
      'Without a nonce the request could be replayed within the timestamp window, so a signature method other than PLAINTEXT requires one (RFC 5849 §3.1, §3.3).',
    rfc: problemCatalog.oauth1_parameter_missing.rfc,
  },
  {
    id: 'oauth1-parameter-duplicated',
    family: 'oauth1',
    title: 'oauth_nonce in the header and in the query',
    trigger: {
      method: 'GET',
      path: `${RESOURCE}?oauth_nonce=another`,
      headers: oauthHeader(),
    },
    expect: refused('oauth1_parameter_duplicated'),
    explanation:
      'A client that adds the protocol parameters to the URL and to the header sends each twice. Which value was meant is a guess, so RFC 5849 §3.2 answers 400 before any signature is checked.',
    rfc: problemCatalog.oauth1_parameter_duplicated.rfc,
  },
  {
    id: 'oauth1-signature-method-unsupported',
    family: 'oauth1',
    title: 'oauth_signature_method="RSA-SHA256"',
    trigger: {
      method: 'GET',
      path: RESOURCE,
      headers: oauthHeader({ oauth_signature_method: 'RSA-SHA256' }),
    },
    expect: refused('oauth1_signature_method_unsupported'),
    explanation:
      'RSA-SHA256 is an extension some servers take; this one verifies HMAC-SHA1, HMAC-SHA256, RSA-SHA1, and PLAINTEXT over https only. RFC 5849 §3.2: 400 for an unsupported signature method.',
    rfc: problemCatalog.oauth1_signature_method_unsupported.rfc,
  },
  {
    id: 'oauth1-consumer-unknown',
    family: 'oauth1',
    title: 'A consumer key this server never issued',
    trigger: {
      method: 'GET',
      path: RESOURCE,
      headers: oauthHeader({ oauth_consumer_key: 'dpf43f3p2l4k3l03' }),
    },
    expect: refused('oauth1_consumer_unknown'),
    explanation:
      '`dpf43f3p2l4k3l03` is the client of RFC 5849’s own example (§1.2, printer.example.com); this server knows only its demo client.',
    rfc: problemCatalog.oauth1_consumer_unknown.rfc,
  },
  {
    id: 'oauth1-token-unknown',
    family: 'oauth1',
    title: 'A token this server never issued',
    trigger: {
      method: 'GET',
      path: RESOURCE,
      headers: oauthHeader({ oauth_token: 'nnch734d00sl2jdk' }),
    },
    expect: refused('oauth1_token_unknown'),
    explanation:
      '`nnch734d00sl2jdk` is the token of RFC 5849’s example (§1.2). The token is looked up before the signature is checked: without its secret there is nothing to check it with.',
    rfc: problemCatalog.oauth1_token_unknown.rfc,
  },
  {
    id: 'oauth1-token-revoked',
    family: 'oauth1',
    title: 'The revoked demo token',
    trigger: {
      method: 'GET',
      path: RESOURCE,
      headers: oauthHeader({ oauth_token: 'four-oh-one-revoked-token' }),
    },
    expect: refused('oauth1_token_revoked'),
    explanation:
      '`four-oh-one-revoked-token` (secret `four-oh-one-revoked-token-secret`) is revoked for every visitor, a fixed fact of the sandbox: however well a request is signed with it, it is refused.',
    rfc: problemCatalog.oauth1_token_revoked.rfc,
  },
  {
    id: 'oauth1-timestamp-old',
    family: 'oauth1',
    title: 'A signed request with a timestamp from 2025',
    trigger: { method: 'GET', path: RESOURCE, headers: oauthHeader() },
    expect: refused('oauth1_timestamp_invalid'),
    explanation:
      '`oauth_timestamp="1764547200"` is 2025-12-01T00:00:00Z. The window is 300 seconds either way; the timestamp is checked before the signature, so a request from a client with a wrong clock is told so whatever else is wrong with it.',
    rfc: problemCatalog.oauth1_timestamp_invalid.rfc,
  },
  {
    id: 'oauth1-signature-invalid',
    family: 'oauth1',
    title: 'A signature made with the wrong token secret',
    trigger: {
      method: 'GET',
      path: RESOURCE,
      headers: oauthHeader({
        oauth_timestamp: '<now>',
        oauth_nonce: '<random>',
        oauth_signature: '<HMAC-SHA1 with the key four-oh-one-consumer-secret&wrong-secret>',
      }),
      fired: false,
      setup: SIGN_NOW,
    },
    expect: refused('oauth1_signature_invalid'),
    explanation:
      'Everything is in order but the signature: signed with another token secret, the HMAC differs. The server recomputes the base string from the request as received (and as it would be under PUBLIC_URL) and compares in constant time; nothing is stored.',
    rfc: problemCatalog.oauth1_signature_invalid.rfc,
  },
  {
    id: 'oauth1-signature-encoding',
    family: 'oauth1',
    title: 'A query value with spaces, signed with a + for each space',
    trigger: {
      method: 'GET',
      path: `${RESOURCE}?status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21`,
      headers: oauthHeader({
        oauth_timestamp: '<now>',
        oauth_nonce: '<random>',
        oauth_signature:
          '<HMAC-SHA1 of the base string encoded as application/x-www-form-urlencoded: + for a space>',
      }),
      fired: false,
      setup: SIGN_NOW,
    },
    expect: refused('oauth1_signature_encoding'),
    explanation:
      'The query holds the status text of Twitter’s old OAuth 1.0a guide, with spaces, `+`, `,` and `!`. A client that percent-encodes it with its language’s form encoder signs `Hello+Ladies+%2B+Gentlemen…` where RFC 5849 §3.6 wants `Hello%20Ladies%20%2B%20Gentlemen…` (and encodeURIComponent leaves `!` bare where RFC 3986 wants `%21`). The server finds that the signature matches the wrongly encoded base string and says which encoding was used.',
    rfc: problemCatalog.oauth1_signature_encoding.rfc,
  },
  {
    id: 'oauth1-nonce-reused',
    family: 'oauth1',
    title: 'The same signed request, sent twice',
    trigger: {
      method: 'GET',
      path: RESOURCE,
      headers: oauthHeader({
        oauth_timestamp: '<now>',
        oauth_nonce: '<the nonce of a request that was served>',
        oauth_signature: '<its signature>',
      }),
      fired: false,
      setup:
        'Send a freshly signed request twice within 300 seconds: the first is served, the second refused. A fixed trigger cannot do it, since its timestamp would leave the window.',
    },
    expect: refused('oauth1_nonce_reused'),
    explanation:
      'The first request was served and its nonce remembered (per visitor, until its timestamp leaves the window); the replay is refused although its signature is right. A client library that retries a failed request must sign it again.',
    rfc: problemCatalog.oauth1_nonce_reused.rfc,
  },
  {
    id: 'oauth1-token-temporary',
    family: 'oauth1',
    title: 'The temporary credentials used at the resource, without the exchange',
    trigger: {
      method: 'GET',
      path: RESOURCE,
      headers: oauthHeader({
        oauth_token: '<the oauth_token POST /oauth1/request_token answered: tmp_…>',
        oauth_timestamp: '<now>',
        oauth_nonce: '<random>',
        oauth_signature:
          '<HMAC-SHA1 with the key four-oh-one-consumer-secret&<its oauth_token_secret>>',
      }),
      fired: false,
      setup: `${THREE_LEGS} Then sign a request to the resource with the temporary credentials themselves.`,
    },
    expect: refused('oauth1_token_temporary'),
    explanation:
      'The three legs of RFC 5849 §2: temporary credentials from `POST /oauth1/request_token`, the resource owner’s approval at `/oauth1/authorize`, and the token request at `POST /oauth1/access_token`, which trades them with the verifier for token credentials. A client that stops after the first leg (or keeps the request token after the third) signs with credentials that only carry the authorization: refused with its own code, approved or not.',
    rfc: problemCatalog.oauth1_token_temporary.rfc,
  },
  {
    id: 'oauth1-verifier-invalid',
    family: 'oauth1',
    title: 'The token request with a verifier the approval did not give',
    trigger: {
      method: 'POST',
      path: '/oauth1/access_token',
      headers: oauthHeader({
        oauth_token: '<approved temporary credentials: tmp_…>',
        oauth_verifier: 'not-the-verifier',
        oauth_timestamp: '<now>',
        oauth_nonce: '<random>',
        oauth_signature: '<HMAC-SHA1 with the key four-oh-one-consumer-secret&<their secret>>',
      }),
      fired: false,
      setup: `${THREE_LEGS} Approve them, then ask for the token with another oauth_verifier.`,
    },
    expect: refused('oauth1_verifier_invalid'),
    explanation:
      'The verifier ties the token request to the resource owner’s approval (RFC 5849 §2.3): without it, whoever started the flow could finish it in someone else’s name, the session fixation attack that turned OAuth 1.0 into 1.0a. The same code answers temporary credentials nobody approved yet; a wrong verifier spends nothing.',
    rfc: problemCatalog.oauth1_verifier_invalid.rfc,
  },
  {
    id: 'oauth1-callback-invalid',
    family: 'oauth1',
    title: 'Temporary credentials asked for with a callback on another site',
    trigger: {
      method: 'POST',
      path: '/oauth1/request_token',
      headers: oauthHeader({
        oauth_token: undefined,
        oauth_callback: 'https%3A%2F%2Fevil.example%2Fcallback',
        oauth_timestamp: '<now>',
        oauth_nonce: '<random>',
        oauth_signature: '<HMAC-SHA1 with the key four-oh-one-consumer-secret&>',
      }),
      fired: false,
      setup:
        'Sign a POST to /oauth1/request_token with the demo client credentials alone and oauth_callback="https://evil.example/callback" (requests-oauthlib: OAuth1Session(key, client_secret=secret, callback_uri=…).fetch_request_token(…)).',
    },
    expect: refused('oauth1_callback_invalid'),
    explanation:
      'RFC 5849 §2.1 has the client name its callback when it asks for temporary credentials, and the server sends the resource owner’s browser there after the approval. A provider that registers no callbacks per client must decide where it will send browsers: this sandbox takes `oob`, its own `/oauth1/callback` and loopback addresses, and refuses the rest with 400 before storing anything.',
    rfc: problemCatalog.oauth1_callback_invalid.rfc,
  },
  {
    id: 'oauth1-authorization-unknown',
    family: 'oauth1',
    title: 'The authorization page for temporary credentials that do not exist',
    trigger: {
      method: 'GET',
      path: '/oauth1/authorize?oauth_token=tmp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    },
    expect: refused('oauth1_authorization_unknown'),
    explanation:
      'The resource owner authorization endpoint (RFC 5849 §2.2) is a page: it shows the approval form for pending temporary credentials only. Never issued, expired after 10 minutes, approved once already, or exchanged: a 400 that says to start again, with no challenge, since no credentials sent with this request would help.',
    rfc: problemCatalog.oauth1_authorization_unknown.rfc,
  },
];
