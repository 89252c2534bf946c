import { problemCatalog, type ProblemCode } from './catalog';
import { rfc } from './refs';
import { bearer } from './shared';
import type { FamilyInfo, Scenario } from './types';

const RESOURCE = '/privacypass/resource';
/** The demo issuer's token-key (src/auth/private-token.ts), as every challenge carries it. */
const TOKEN_KEY =
  'MIIBVjBBBgkqhkiG9w0BAQowNKAPMA0GCWCGSAFlAwQCAgUAoRwwGgYJKoZIhvcNAQEIMA0GCWCGSAFlAwQCAgUAogMCATADggEPADCCAQoCggEBAJUR5hgH1qZXqugUHjniI-l-wz_sUvuFRyx0P66DfwkdlG56OSEtu-KqjhLf0mwMofrYOsVRhruQycSTXKmt3pscbqnezYD-mvvm389YNipgmNOMqr39PPHMZmyBOhphAyr0vzF71RVA3K0Y5DPIoeLGUf9rpObt_7YN8y71zz0Cae-Lmkx_A6ozgaN_TcaEPu0pkSZSa7AZbeeMw-rvQgDAfOQWQJ-ZV-o7B5OK0uHNQzOgRMmeMCqWfax1omLOWroZpLiLuSsB803hN7BlXdtv9otpIgeKth1UPTLBI1OspuVhG5J6bmDitgIKZhIaKAzfp2XCnj7HOid2k1mTv7ECAwEAAQ';
/** Every refusal's challenge: the TokenChallenge and max-age change with the five-minute window. */
const CHALLENGE = `PrivateToken challenge="…", token-key="${TOKEN_KEY}", max-age="…"`;
const CHALLENGE_PATTERN = `PrivateToken challenge="[A-Za-z0-9_-]+", token-key="${TOKEN_KEY}", max-age="[0-9]+"`;

/**
 * Tokens made once with the published issuer key, each wrong in one way: signed for another
 * origin's challenge (issuer.example), then that token with another key id, with its
 * authenticator zeroed, and as type 0x0001.
 */
const OTHER_CHALLENGE_TOKEN =
  'AAIREREREREREREREREREREREREREREREREREREREREREX-q8VB7P_CSiRmBsNugmukAL-CNrlli1ZP7caMGFJ2EXkT-9mojL8a_szpqzCZ_3d21HMlN8c12oQii-3Rj3EULEQT4G9ApLK5TBDmAhCyA2vWIR5msD3BG366xmZCpW6UZTuHgeaf8kDgBN_gdaOtcgI51UrXR-r2IoVrz8e6fUPHEJxYbGaYhgJFEhYNdSx-RTmXROTUFWxIh6QjcgLqGeA7ZGEwMQoYFfpC4WPgZoxNcBxkOs8qypMy149dcDouLfCum8VoUuVyRyFGH3FGdyjpJlI2D44vPiHQ3aZeElx2yARCe5xm8t72FVfKBXpFxCho-L1219C3T_Ghp8-XIBRL_0BGV0VLOxfWEyx6a8oOe-y6b9NZof-wC6Lw5ZIB0LhjAgzHFC9UrvZO_bou6-Ppg4yCVBJCBZ88gGVxN';
const UNKNOWN_KEY_TOKEN =
  'AAIREREREREREREREREREREREREREREREREREREREREREX-q8VB7P_CSiRmBsNugmukAL-CNrlli1ZP7caMGFJ2EQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI1TQKRMNI-cF8E9HY-1HdC32uXXkKi-S-as-ZZ94uZ3dwpe8keun5-qeYllZcXMVJoOhwBqaUlzZKIayaFMQ326daDAOcyZ_p3SuVHhxcHL3ocAIvWjYrYFmhDNOapuC0iFsXWXPw0J6SyC0Gf3zbdaIBa3zjvJ6gDLOlaj1vKwYDLOLqwLwI-uychYUznoIa6s4CJdmoxJeyDLRY02uELnuWUZeHO6g5mRmBef20b8F4djsxXLdaram3S8I2C1pVYMbiZsCnc3AIrKMQmz-O48f7SdcCK4PHFRZkkydoFpIDStPibZmtfZczS9GNJ-3wwnV7p2bW7W8rALOuMGL4O';
const FORGED_TOKEN =
  'AAIREREREREREREREREREREREREREREREREREREREREREX-q8VB7P_CSiRmBsNugmukAL-CNrlli1ZP7caMGFJ2EXkT-9mojL8a_szpqzCZ_3d21HMlN8c12oQii-3Rj3EUAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const VOPRF_TOKEN =
  'AAEREREREREREREREREREREREREREREREREREREREREREX-q8VB7P_CSiRmBsNugmukAL-CNrlli1ZP7caMGFJ2EXkT-9mojL8a_szpqzCZ_3d21HMlN8c12oQii-3Rj3EU1TQKRMNI-cF8E9HY-1HdC32uXXkKi-S-as-ZZ94uZ3dwpe8keun5-qeYllZcXMVI';

const redeem = (token: string) => ({ Authorization: `PrivateToken token="${token}"` });

/** A PrivateToken refusal: its status, and the current challenge again. */
const refused = (code: ProblemCode): Scenario['expect'] => ({
  status: problemCatalog[code].status,
  code,
  challenge: CHALLENGE,
  challengePattern: CHALLENGE_PATTERN,
});

/** The family's heading in /scenarios, the playground and the OpenAPI tags. */
export const family: FamilyInfo = {
  title: 'PrivateToken: Privacy Pass tokens (RFC 9577, RFC 9578)',
  summary:
    'GET /privacypass/resource challenges with `PrivateToken challenge=…, token-key=…, max-age=…` (token type 0x0002, blind RSA) and takes a token once: the refusals are a missing or malformed token, another token type, another issuer key, a bad signature, a token for another challenge, and a spent one. POST /privacypass/demo-issuer signs a token for a challenge; simplified, it sees the challenge, where RFC 9578’s blind exchange would hide it.',
};

/** The family's scenarios, in the order /scenarios and the playground list them. */
export const scenarios: Scenario[] = [
  {
    id: 'privatetoken-challenge',
    family: 'privatetoken',
    title: 'No token: the PrivateToken challenge',
    trigger: { method: 'GET', path: RESOURCE },
    expect: refused('private_token_missing'),
    explanation:
      'The challenge is the same for every client within a five-minute window (its redemption context is derived from the window), so a client can fetch a token ahead and redeem it without a round trip; max-age counts down to the window’s end.',
    rfc: problemCatalog.private_token_missing.rfc,
  },
  {
    id: 'privatetoken-valid',
    family: 'privatetoken',
    title: 'A token for the current challenge, from the demo issuer',
    trigger: {
      method: 'GET',
      path: RESOURCE,
      headers: { Authorization: 'PrivateToken token="<token from POST /privacypass/demo-issuer>"' },
      fired: false,
      setup:
        'Take the challenge parameter of the 401 to POST /privacypass/demo-issuer as {"challenge": "…"} and redeem the token it answers within five minutes, once; README.md shows it with curl and jq. A fixed token would be for a past window, or spent.',
    },
    expect: { status: 200, challenge: null },
    explanation:
      'The token is type 0x0002, under the challenge’s token-key, its authenticator verifies (RSASSA-PSS SHA-384), its challenge_digest is this window’s challenge, and its nonce has not been seen: 200, and the nonce is now spent.',
    rfc: [rfc(9577, '2.2'), rfc(9578, '6')],
  },
  {
    id: 'privatetoken-malformed',
    family: 'privatetoken',
    title: 'A type 0x0002 token of 12 bytes',
    trigger: { method: 'GET', path: RESOURCE, headers: redeem('AAIAAAAAAAAAAAAA') },
    expect: refused('private_token_malformed'),
    explanation:
      'A Token has a fixed length for its type; this one cannot hold a nonce, let alone a signature.',
    rfc: problemCatalog.private_token_malformed.rfc,
  },
  {
    id: 'privatetoken-type-unsupported',
    family: 'privatetoken',
    title: 'A privately verifiable token (type 0x0001) where 0x0002 was asked',
    trigger: { method: 'GET', path: RESOURCE, headers: redeem(VOPRF_TOKEN) },
    expect: refused('private_token_type_unsupported'),
    explanation:
      'Type 0x0001 tokens (VOPRF) can be verified only by their issuer’s private key; this origin verifies 0x0002 tokens with the public token-key.',
    rfc: problemCatalog.private_token_type_unsupported.rfc,
  },
  {
    id: 'privatetoken-key-unknown',
    family: 'privatetoken',
    title: 'A token whose token_key_id names another key',
    trigger: { method: 'GET', path: RESOURCE, headers: redeem(UNKNOWN_KEY_TOKEN) },
    expect: refused('private_token_key_unknown'),
    explanation: 'The key id is checked before the signature: no other key would be tried.',
    rfc: problemCatalog.private_token_key_unknown.rfc,
  },
  {
    id: 'privatetoken-invalid',
    family: 'privatetoken',
    title: 'A token with its authenticator zeroed',
    trigger: { method: 'GET', path: RESOURCE, headers: redeem(FORGED_TOKEN) },
    expect: refused('private_token_invalid'),
    explanation:
      'Everything but the signature is in order; the signature is checked before the challenge and the spent cache, so a forged token never reaches the store.',
    rfc: problemCatalog.private_token_invalid.rfc,
  },
  {
    id: 'privatetoken-challenge-mismatch',
    family: 'privatetoken',
    title: 'A genuine token, fetched for another origin’s challenge',
    trigger: { method: 'GET', path: RESOURCE, headers: redeem(OTHER_CHALLENGE_TOKEN) },
    expect: refused('private_token_challenge_mismatch'),
    explanation:
      'Signed by the demo issuer’s key, but for a TokenChallenge naming issuer.example with another redemption context: its challenge_digest matches no challenge this origin gave.',
    rfc: problemCatalog.private_token_challenge_mismatch.rfc,
  },
  {
    id: 'privatetoken-spent',
    family: 'privatetoken',
    title: 'The same token redeemed twice',
    trigger: {
      method: 'GET',
      path: RESOURCE,
      headers: { Authorization: 'PrivateToken token="<a token already redeemed>"' },
      fired: false,
      setup:
        'Redeem a token from POST /privacypass/demo-issuer once (200), then send it again: a fixed token would be for a past window. test/scenario-setups.test.ts does so.',
    },
    expect: refused('private_token_spent'),
    explanation:
      'The first redemption put the nonce in the spent-token cache (charged to the visitor, kept until the token could not be accepted anyway); the second finds it there.',
    rfc: problemCatalog.private_token_spent.rfc,
  },
  {
    id: 'privatetoken-other-scheme',
    family: 'privatetoken',
    title: 'A Bearer token at a PrivateToken resource',
    trigger: { method: 'GET', path: RESOURCE, headers: bearer('valid') },
    expect: refused('private_token_missing'),
    explanation:
      'A valid access token of this server names its user; a Privacy Pass resource takes only an unlinkable token, so it answers as if no credentials came.',
    rfc: problemCatalog.private_token_missing.rfc,
  },
  {
    id: 'privatetoken-issuer-refused',
    family: 'privatetoken',
    title: 'The demo issuer asked to sign something that is not a TokenChallenge',
    trigger: {
      method: 'POST',
      path: '/privacypass/demo-issuer',
      body: { challenge: 'bm90IGEgY2hhbGxlbmdl' },
    },
    expect: { status: 400, code: 'private_token_challenge_unreadable', challenge: null },
    explanation:
      'The issuer signs tokens only for a TokenChallenge of its token type; this base64url text decodes to “not a challenge”.',
    rfc: problemCatalog.private_token_challenge_unreadable.rfc,
  },
];
