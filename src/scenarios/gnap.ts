import { problemCatalog } from './catalog';
import { rfc } from './refs';
import type { FamilyInfo, Scenario } from './types';

const RESOURCE = '/gnap/resource';
const GRANT = '/gnap/grant';
const challenge = (action: 'read' | 'write') =>
  `GNAP as_uri="{{public_url}}/gnap/grant", referrer="{{public_url}}/gnap/resource", access="four-oh-one-${action}"`;
const GRANT_CHALLENGE = 'GNAP as_uri="{{public_url}}/gnap/grant"';
/** RFC 9635's own example token value (§7.2): never one this server issued. */
const RFC_TOKEN = 'OS9M2PMHKUR64TB8N6BW7OZB8CDFONP219RP1LT0';
/** RFC 8037 §A.2's Ed25519 public key, with the kid and alg RFC 9635 §7.1 requires. */
const RFC8037_JWK = {
  kty: 'OKP',
  crv: 'Ed25519',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
  kid: 'rfc8037-a2',
  alg: 'EdDSA',
};
/** A signed request as a GNAP client sends it (the signature is fresh each time). */
const SIGNED = {
  Authorization: `GNAP ${RFC_TOKEN}`,
  'Signature-Input':
    'sig1=("@method" "@target-uri" "authorization");created=1732000000;keyid="rfc8037-a2";tag="gnap"',
  Signature: 'sig1=:…:',
};
const GRANT_SETUP =
  'the token must come from a grant this server just made to your key, and the signature must be fresh: run a client that makes an Ed25519 key, signs the grant request and the resource request (RFC 9421 with tag="gnap"); test/gnap-client.ts does it with node:crypto in a few lines, and test/scenario-setups.test.ts runs it.';

/** The family's heading in /scenarios, the playground and the OpenAPI tags. */
export const family: FamilyInfo = {
  title: 'GNAP: a key-bound token from an immediate grant',
  summary:
    'RFC 9635 on /gnap/resource and POST /gnap/grant: the RS-first challenge `GNAP as_uri=…, referrer=…, access=…`, a grant request with `access_token.access` and `client.key` (a JWK, "proof": "httpsig") signed with that key, an immediate grant (no interaction: this AS grants the demo API to any key that proves itself), and the token presented as `Authorization: GNAP <token>` with an RFC 9421 signature by the bound key. Refusals: no token, an unknown or expired token, no proof, a bad proof, another key, access that does not cover the request (403), and GNAP errors from the grant endpoint (RFC 9635 §3.6).',
};

/** The family's scenarios, in the order /scenarios and the playground list them. */
export const scenarios: Scenario[] = [
  {
    id: 'gnap-challenge',
    family: 'gnap',
    title: 'No token: the RS-first challenge names the AS',
    trigger: { method: 'GET', path: RESOURCE },
    expect: { status: 401, code: 'gnap_token_missing', challenge: challenge('read') },
    explanation:
      'RFC 9635 §9.1: the resource server tells a client that knows only the resource where to ask (`as_uri`), who sent it (`referrer`: the client must check it is the server it called) and what to ask for (`access`, an opaque reference covering the read it tried). The RFC’s own example writes the parameters unquoted with `;`; this server writes RFC 9110 §11.2 auth-params, quoting the URIs, which are not tokens.',
    rfc: problemCatalog.gnap_token_missing.rfc,
  },
  {
    id: 'gnap-challenge-write',
    family: 'gnap',
    title: 'A Bearer token on a GNAP resource: the challenge for a write',
    trigger: {
      method: 'POST',
      path: RESOURCE,
      headers: { Authorization: 'Bearer {{token:valid}}' },
    },
    expect: { status: 401, code: 'gnap_token_missing', challenge: challenge('write') },
    explanation:
      'Another scheme is no GNAP token: the same challenge, whose `access` reference now covers the write the POST needs ("four-oh-one-write"). The Bearer token is not looked at.',
    rfc: [rfc(9635, '9.1'), rfc(9635, '8.1'), rfc(9110, '11.6.1')],
  },
  {
    id: 'gnap-token-unknown',
    family: 'gnap',
    title: 'RFC 9635’s example token',
    trigger: { method: 'GET', path: RESOURCE, headers: { Authorization: `GNAP ${RFC_TOKEN}` } },
    expect: { status: 401, code: 'gnap_token_invalid', challenge: challenge('read') },
    explanation:
      'A token this AS never issued (the RFC’s example value): 401 with the challenge again, before any signature is looked at. An expired token (300 seconds after the grant) gets the same answer.',
    rfc: problemCatalog.gnap_token_invalid.rfc,
  },
  {
    id: 'gnap-malformed',
    family: 'gnap',
    title: '`Authorization: GNAP` with two values',
    trigger: { method: 'GET', path: RESOURCE, headers: { Authorization: 'GNAP one two' } },
    expect: { status: 400, code: 'gnap_malformed', challenge: null },
    explanation: 'No token has a space in it: a broken request, 400 without a challenge.',
    rfc: problemCatalog.gnap_malformed.rfc,
  },
  {
    id: 'gnap-grant-invalid-request',
    family: 'gnap',
    title: 'A grant request without access_token',
    trigger: {
      method: 'POST',
      path: GRANT,
      body: { client: { key: { proof: 'httpsig', jwk: RFC8037_JWK } } },
    },
    expect: { status: 400, code: 'gnap_grant_invalid_request', challenge: null },
    explanation:
      'The body says who the client is but not what it wants: `error: {"code": "invalid_request", "description": "access_token (RFC 9635 §2.1) is missing."}` in application/json, as GNAP clients read it, beside the problem members. Nothing is stored.',
    rfc: problemCatalog.gnap_grant_invalid_request.rfc,
  },
  {
    id: 'gnap-grant-bearer',
    family: 'gnap',
    title: 'A grant request for a bearer token',
    trigger: {
      method: 'POST',
      path: GRANT,
      body: {
        access_token: { access: ['four-oh-one-read'], flags: ['bearer'] },
        client: { key: { proof: 'httpsig', jwk: RFC8037_JWK } },
      },
    },
    expect: { status: 400, code: 'gnap_grant_invalid_flag', challenge: null },
    explanation:
      '`"flags": ["bearer"]` asks for a token usable without the key: this AS binds every token, so `invalid_flag`.',
    rfc: problemCatalog.gnap_grant_invalid_flag.rfc,
  },
  {
    id: 'gnap-grant-unsigned',
    family: 'gnap',
    title: 'A well-formed grant request without its signature',
    trigger: {
      method: 'POST',
      path: GRANT,
      body: {
        access_token: { access: [{ type: 'four-oh-one-demo', actions: ['read'] }] },
        client: { key: { proof: 'httpsig', jwk: RFC8037_JWK } },
      },
    },
    expect: { status: 401, code: 'gnap_grant_invalid_client', challenge: GRANT_CHALLENGE },
    explanation:
      'RFC 8037’s Ed25519 public key with `"proof": "httpsig"`, but no Signature-Input and Signature: anyone can paste a public key, so the AS needs the proof that the client holds its private half before it binds a token to it (RFC 9635 §7.3). `invalid_client`, 401 with a challenge naming the grant endpoint; nothing is stored.',
    rfc: problemCatalog.gnap_grant_invalid_client.rfc,
  },
  {
    id: 'gnap-grant-instance-id',
    family: 'gnap',
    title: 'A grant request naming a client instance this AS never registered',
    trigger: {
      method: 'POST',
      path: GRANT,
      body: { access_token: { access: ['four-oh-one-read'] }, client: '7C7C4AZ9KHRS6X63AJAO' },
    },
    expect: { status: 401, code: 'gnap_grant_invalid_client', challenge: GRANT_CHALLENGE },
    explanation:
      '`client` as a string is an instance identifier (RFC 9635 §2.3.1) the AS assigned before; this AS registers none, so every client presents its key by value.',
    rfc: [rfc(9635, '2.3.1'), rfc(9635, '3.6')],
  },
  {
    id: 'gnap-complete',
    family: 'gnap',
    title: 'The token with a signature by its key: 200',
    trigger: { method: 'GET', path: RESOURCE, headers: SIGNED, fired: false, setup: GRANT_SETUP },
    expect: { status: 200, challenge: null },
    explanation:
      'The grant response gave `access_token: {value, access, expires_in: 300}` without `key`, so the token is bound to the key the client presented (RFC 9635 §3.2.1). The request carries it as `Authorization: GNAP <value>` and signs `@method`, `@target-uri` and `authorization` with that key, tag="gnap": the resource server checks the signature with the bound key, then the rights.',
    rfc: [rfc(9635, '7.2'), rfc(9635, '7.3.1'), rfc(9635, '3.2.1')],
  },
  {
    id: 'gnap-proof-missing',
    family: 'gnap',
    title: 'A valid token without a signature',
    trigger: {
      method: 'GET',
      path: RESOURCE,
      headers: { Authorization: `GNAP ${RFC_TOKEN}` },
      fired: false,
      setup: GRANT_SETUP,
    },
    expect: { status: 401, code: 'gnap_proof_missing', challenge: challenge('read') },
    explanation:
      'The token a grant just issued, sent as a Bearer token would be: no proof of the key, so 401. Copying the Authorization header out of a log gets nothing.',
    rfc: problemCatalog.gnap_proof_missing.rfc,
  },
  {
    id: 'gnap-proof-invalid',
    family: 'gnap',
    title: 'A signature that covers another path',
    trigger: { method: 'GET', path: RESOURCE, headers: SIGNED, fired: false, setup: GRANT_SETUP },
    expect: { status: 401, code: 'gnap_proof_invalid', challenge: challenge('read') },
    explanation:
      'The right key, but the signature was made over another @target-uri (a signed request replayed to another resource, or a client that signs the URL before a redirect): it does not verify.',
    rfc: problemCatalog.gnap_proof_invalid.rfc,
  },
  {
    id: 'gnap-key-mismatch',
    family: 'gnap',
    title: 'The token signed with another key',
    trigger: { method: 'GET', path: RESOURCE, headers: SIGNED, fired: false, setup: GRANT_SETUP },
    expect: { status: 401, code: 'gnap_key_mismatch', challenge: challenge('read') },
    explanation:
      'A second client instance, with its own key, presents the first one’s token: keyid names its own key, not the bound one.',
    rfc: problemCatalog.gnap_key_mismatch.rfc,
  },
  {
    id: 'gnap-access-insufficient',
    family: 'gnap',
    title: 'A read token on a write: 403',
    trigger: {
      method: 'POST',
      path: RESOURCE,
      headers: SIGNED,
      fired: false,
      setup: GRANT_SETUP,
    },
    expect: { status: 403, code: 'gnap_access_insufficient', challenge: challenge('write') },
    explanation:
      'A token granted `["four-oh-one-read"]`, properly signed, on POST, which needs "write": the client is known and its proof holds, so 403, not 401. The challenge names "four-oh-one-write" for the next grant request.',
    rfc: problemCatalog.gnap_access_insufficient.rfc,
  },
];
