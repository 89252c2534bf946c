import { problemCatalog, type ProblemCode } from './catalog';
import { rfc } from './refs';
import {
  DATA,
  DPOP_ALGS_TEXT,
  invalidToken,
  OK_NO_STORE,
  orDpop,
  postForm,
  RESOURCE_METADATA,
} from './shared';
import type { Expectation, FamilyInfo, Scenario, Trigger } from './types';

/** The path where every DPoP proof must carry a server nonce (RFC 9449 §9). */
export const DPOP_NONCE_PATH = '/api/v1/dpop/nonce';

/** A DPoP challenge (RFC 9449 §7.1) with `error`, described by the problem's title. */
export const dpopChallenge = (error: string, code: ProblemCode) =>
  `DPoP realm="four-oh-one", error="${error}", error_description="${problemCatalog[code].title}", algs="${DPOP_ALGS_TEXT}", ${RESOURCE_METADATA}`;

/** The family's heading in /scenarios, the playground and the OpenAPI tags. */
export const family: FamilyInfo = {
  title: 'Proof-of-possession tokens: DPoP (RFC 9449)',
  summary:
    'A DPoP-bound token is useless to whoever steals it: the client sends a proof, a JWT signed with its own key, with the token request and with every call. POST /auth/token with a DPoP header issues `token_type: DPoP` tokens bound to the key (`cnf.jkt`); /api/v1/data and /api/v1/flaky take `Authorization: DPoP <token>` with a proof for that very request, and /api/v1/dpop/nonce demands a server nonce. The proofs in these triggers are minted every second by the server’s specimen key; a real client makes its own (the README shows how).',
};

/** A request to a DPoP resource with the specimen bound token and the proof specimen `proof`. */
function resource(proof: string | undefined, token = 'dpop_bound', path = DATA): Trigger {
  return {
    method: 'GET',
    path,
    headers: {
      Authorization: `DPoP {{token:${token}}}`,
      ...(proof === undefined ? {} : { DPoP: `{{token:${proof}}}` }),
    },
  };
}

/** A refusal of the proof (RFC 9449 §7.1: invalid_dpop_proof). */
function proofRefused(code: ProblemCode): Expectation {
  return { status: 401, code, challenge: dpopChallenge('invalid_dpop_proof', code) };
}

/** A card refusing a DPoP request at /api/v1/data for one reason. */
function refusal(
  id: string,
  title: string,
  proof: string | undefined,
  code: ProblemCode,
  explanation: string,
  expect: Expectation = proofRefused(code),
  token?: string,
): Scenario {
  return {
    id,
    family: 'dpop',
    title,
    trigger: resource(proof, token),
    expect,
    explanation,
    rfc: problemCatalog[code].rfc,
  };
}

/** The password grant of the public client, with a DPoP proof for the token endpoint. */
const tokenRequest = (proof: string, extra: Record<string, string> = {}): Trigger => ({
  ...postForm('/auth/token', {
    grant_type: 'password',
    username: 'my_username',
    password: 'my_password',
    client_id: 'four-oh-one-public',
    ...extra,
  }),
  headers: { DPoP: `{{token:${proof}}}` },
});

/** The family's scenarios, in the order /scenarios and the playground list them. */
export const scenarios: Scenario[] = [
  {
    id: 'dpop-token-request',
    family: 'dpop',
    title: 'A token request with a DPoP proof gets DPoP-bound tokens',
    trigger: tokenRequest('dpop_proof_token'),
    expect: OK_NO_STORE,
    explanation:
      'The proof in the DPoP header is made for `POST <PUBLIC_URL>/auth/token` (htm, htu), now (iat), with a fresh jti and the client’s public key in its header (jwk). The answer says `token_type: "DPoP"`, and the access token carries `"cnf": {"jkt": "<the key’s RFC 7638 thumbprint>"}`; so does the refresh token, since four-oh-one-public is a public client (RFC 9449 §5). Every grant that issues tokens does this: client_credentials, password, authorization_code (with PKCE) and refresh_token. The metadata lists the algorithms under `dpop_signing_alg_values_supported`.',
    rfc: [rfc(9449, '5'), rfc(9449, '6'), rfc(7638, '3')],
  },
  {
    id: 'dpop-token-request-bad-proof',
    family: 'dpop',
    title: 'A token request whose DPoP proof does not verify',
    trigger: tokenRequest('dpop_proof_bad_signature'),
    expect: { status: 400, code: 'grant_dpop_proof_invalid', challenge: null },
    explanation:
      'The token endpoint checks the proof as a resource does (RFC 9449 §4.3): here its payload was changed after signing. It answers in the OAuth dialect, 400 `{"error": "invalid_dpop_proof"}` (RFC 9449 §5), and issues nothing; no challenge, as at every 400 of the token endpoint.',
    rfc: [rfc(9449, '5'), rfc(9449, '4.3')],
  },
  {
    id: 'dpop-token-request-nonce',
    family: 'dpop',
    title: 'The token endpoint demands a DPoP nonce',
    trigger: tokenRequest('dpop_proof_token', { dpop_nonce: 'required' }),
    expect: { status: 400, code: 'grant_dpop_nonce_required', challenge: null },
    explanation:
      'With `dpop_nonce=required` in the request, the token endpoint demands a server nonce in the proof, as an authorization server may at any time (RFC 9449 §8). The proof has none: 400 `{"error": "use_dpop_nonce"}` with a fresh nonce in the DPoP-Nonce header. A client makes a new proof with `"nonce"` set to it and sends the request again, once; oauth4webapi does this on its own when retried. Nonces here are an HMAC of the minute under a server key, good for that minute and the next: demanding one stores nothing.',
    rfc: [rfc(9449, '8'), rfc(9449, '5')],
  },
  {
    id: 'dpop-refresh-without-proof',
    family: 'dpop',
    title: 'A DPoP-bound refresh token used without a proof',
    trigger: postForm('/auth/token', {
      grant_type: 'refresh_token',
      refresh_token: '{{token:dpop_bound_refresh}}',
    }),
    expect: { status: 400, code: 'grant_dpop_key_mismatch', challenge: null },
    explanation:
      'A public client’s refresh token issued with a DPoP proof is bound to that proof’s key (`cnf.jkt`, RFC 9449 §5): a public client has no secret, so the key is what stops a thief refreshing a stolen refresh token. This one comes without a proof (one of another key is refused alike): 400 invalid_grant, before the token is used, so nothing changes and the right client can still refresh.',
    rfc: [rfc(9449, '5'), rfc(6749, '5.2')],
  },
  {
    id: 'dpop-resource-accepted',
    family: 'dpop',
    title: 'A DPoP-bound token with a valid proof opens /api/v1/data',
    trigger: resource('dpop_proof'),
    expect: { status: 200, challenge: null },
    explanation:
      '`Authorization: DPoP <token>` and a DPoP header: a proof signed by the key the token is bound to, for `GET <PUBLIC_URL>/api/v1/data`, made now, with `ath` = base64url(SHA-256(token)) (RFC 9449 §7.1). The checks run in RFC 9449 §4.3 order, then the token’s, then the binding (the proof key’s thumbprint is the token’s cnf.jkt), and last the replay cache, which remembers each jti for two minutes. This specimen proof can be fired again and again: the specimen key’s proofs are looked up in the replay cache but never written to it, so that a card gives everyone the same answer; a real client’s proof works once (dpop-proof-replayed shows the refusal).',
    rfc: [rfc(9449, '7.1'), rfc(9449, '4.3'), rfc(9449, '6.1')],
  },
  refusal(
    'dpop-proof-missing',
    'A DPoP-bound token sent without a proof',
    undefined,
    'dpop_proof_missing',
    'The DPoP scheme, but no DPoP header: nothing shows that the sender holds the key. 401 with a DPoP challenge, `error="invalid_dpop_proof"`, which lists the proof algorithms this server accepts (`algs`, RFC 9449 §7.1).',
  ),
  refusal(
    'dpop-proof-private-key',
    'A proof whose jwk carries the private key',
    'dpop_proof_private_key',
    'dpop_proof_invalid',
    'The proof’s jwk holds the private member `d` besides the public key (RFC 9449 §4.3 step 7): refused before the signature is even checked. The same code covers every proof this server cannot read: two DPoP fields, over 4 KiB, not a JWT, typ not dpop+jwt, an alg outside ES256, EdDSA, PS256 and RS256 (none and HMACs never), or a claim missing; `detail` names the check.',
  ),
  refusal(
    'dpop-proof-bad-signature',
    'A proof changed after it was signed',
    'dpop_proof_bad_signature',
    'dpop_proof_signature_invalid',
    'The proof’s payload was altered (its htm) after signing, so its signature does not verify with the key in its own jwk header (RFC 9449 §4.3 step 6).',
  ),
  refusal(
    'dpop-proof-wrong-method',
    'A proof made for POST, sent with a GET',
    'dpop_proof_wrong_htm',
    'dpop_proof_htm_mismatch',
    'The proof says `"htm": "POST"`; this request is a GET (RFC 9449 §4.3 step 8). A proof covers one method and one URL.',
  ),
  refusal(
    'dpop-proof-wrong-url',
    'A proof made for another URL',
    'dpop_proof_wrong_htu',
    'dpop_proof_htu_mismatch',
    'The proof says `"htu": "https://api.example.com/api/v1/data"`; this server is {{public_url}} (RFC 9449 §4.3 step 9). htu is compared without query and fragment, after normalization: scheme and host case, default port and dot segments do not matter.',
  ),
  refusal(
    'dpop-proof-stale',
    'A proof made minutes ago',
    'dpop_proof_stale',
    'dpop_proof_stale',
    'The proof’s iat lies 330 s before the server clock; proofs are accepted within 60 s of it, either way (RFC 9449 §11.1). A proof is made per request, not kept.',
  ),
  refusal(
    'dpop-proof-future',
    'A proof dated minutes ahead',
    'dpop_proof_future',
    'dpop_proof_future',
    'The proof’s iat lies 330 s after the server clock, beyond the 60 s window (RFC 9449 §11.1): a client with a fast clock, or a proof made ahead to be used later.',
  ),
  refusal(
    'dpop-proof-replayed',
    'A proof sent a second time',
    'dpop_proof_replayed',
    'dpop_proof_replayed',
    'This proof’s jti, with this key, was already used (the server recorded it as used when it minted the specimen): the replay cache remembers every accepted proof’s jti per key for as long as the proof could be accepted (RFC 9449 §11.1), in the store, charged to the visitor that sent it. Keyed by the key’s thumbprint, so nobody can use up another client’s jti without a proof signed by that client, which is exactly the replay refused.',
  ),
  refusal(
    'dpop-proof-ath-mismatch',
    'A proof made for another access token',
    'dpop_proof_ath_mismatch',
    'dpop_proof_ath_mismatch',
    'The proof’s ath is the hash of another token (RFC 9449 §4.3 step 12): a proof cannot be moved from one token to another.',
  ),
  refusal(
    'dpop-key-mismatch',
    'A valid proof signed by another key than the token’s',
    'dpop_proof_other_key',
    'dpop_key_mismatch',
    'The proof is well made and verifies, but with another key than the one the token is bound to: its thumbprint is not the token’s cnf.jkt. Whoever sends the token does not hold its key, so the error is invalid_token, as in RFC 9449 §7.1’s example ("Invalid DPoP key binding").',
    {
      status: 401,
      code: 'dpop_key_mismatch',
      challenge: dpopChallenge('invalid_token', 'dpop_key_mismatch'),
    },
  ),
  refusal(
    'dpop-token-unbound',
    'A Bearer token sent with the DPoP scheme',
    'dpop_proof_unbound',
    'dpop_token_unbound',
    'The proof is valid (its ath hashes this token), but the token has no cnf: it was issued as a Bearer token, bound to no key, so the DPoP scheme cannot apply to it (RFC 9449 §7.1). Send it as Bearer, or get a bound one.',
    {
      status: 401,
      code: 'dpop_token_unbound',
      challenge: dpopChallenge('invalid_token', 'dpop_token_unbound'),
    },
    'valid',
  ),
  {
    id: 'dpop-bound-token-as-bearer',
    family: 'dpop',
    title: 'A DPoP-bound token sent as a Bearer token',
    trigger: {
      method: 'GET',
      path: DATA,
      headers: { Authorization: 'Bearer {{token:dpop_bound}}' },
    },
    expect: {
      status: 401,
      code: 'token_sender_constrained',
      challenge: orDpop(invalidToken('token_sender_constrained')),
    },
    explanation:
      'The very token dpop-resource-accepted opens, sent as `Authorization: Bearer` and without a proof: a resource that took it so would make a stolen DPoP token a bearer token again (RFC 9449 §7.2). Refused with the Bearer challenge, since the request used Bearer, and the DPoP offer beside it.',
    rfc: [rfc(9449, '7.2'), rfc(6750, '3.1')],
  },
  {
    id: 'dpop-nonce-required',
    family: 'dpop',
    title: 'A resource that demands a DPoP nonce',
    trigger: resource('dpop_proof_nonce', 'dpop_bound', DPOP_NONCE_PATH),
    expect: {
      status: 401,
      code: 'dpop_nonce_required',
      challenge: dpopChallenge('use_dpop_nonce', 'dpop_nonce_required'),
    },
    explanation:
      '/api/v1/dpop/nonce is /api/v1/data where every proof must carry a nonce this server gave (RFC 9449 §9). The proof has none: 401, `WWW-Authenticate: DPoP error="use_dpop_nonce"`, and the nonce to use in the DPoP-Nonce header (exposed to page scripts by CORS). The client makes a new proof with it and retries once; the next answers may carry a newer DPoP-Nonce to use from then on.',
    rfc: [rfc(9449, '9'), rfc(9449, '8')],
  },
];
