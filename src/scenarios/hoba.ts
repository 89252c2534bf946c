import { problemCatalog } from './catalog';
import { rfc } from './refs';
import type { FamilyInfo, Scenario } from './types';

const PATH = '/hoba/resource';
const REGISTER = '/.well-known/hoba/register';
/** RFC 7486 §3's challenge: a fresh base64url challenge each time, 60 seconds, our realm. */
const CHALLENGE = {
  challenge: 'HOBA challenge="…", max-age="60", realm="four-oh-one"',
  challengePattern: 'HOBA challenge="[A-Za-z0-9_-]{48}", max-age="60", realm="four-oh-one"',
};
/** A result of the right shape over a challenge this server never issued (48 base64url "A"s). */
const FOREIGN_RESULT = `HOBA result="kid1.${'A'.repeat(48)}.bm9uY2U.c2ln"`;
const SETUP =
  'the result must sign a challenge this server just gave you with a key you registered, which no fixed request can: run a HOBA client (GET /hoba does it in your browser; test/hoba-client.ts in a few lines of node:crypto), as test/scenario-setups.test.ts does.';

/** A request only a HOBA client can make (see SETUP), on the resource. */
const SIGNED = {
  method: 'GET',
  path: PATH,
  headers: { Authorization: FOREIGN_RESULT },
  fired: false,
  setup: SETUP,
} as const;

/** The family's heading in /scenarios, the playground and the OpenAPI tags. */
export const family: FamilyInfo = {
  title: 'HOBA: a registered key signs the challenge',
  summary:
    'RFC 7486’s HTTP Origin-Bound Authentication: no password, a key pair. The client registers its public key at POST /.well-known/hoba/register (§6.1: kidtype, kid, didtype, did, alg, pub; the request signed with that key), then answers the 401’s `HOBA challenge="…", max-age="60", realm="four-oh-one"` with `Authorization: HOBA result="kid.challenge.nonce.sig"`, a signature over nonce, alg, origin, realm, kid and challenge (§2). RSA-SHA256 (alg 0). GET /hoba runs it in your browser with WebCrypto. Refusals: an unknown kid, a bad signature, a challenge not ours, expired or used, a signature over the wrong origin or realm, a malformed result or registration.',
};

/** The family's scenarios, in the order /scenarios and the playground list them. */
export const scenarios: Scenario[] = [
  {
    id: 'hoba-challenge',
    family: 'hoba',
    title: 'No credentials: a HOBA challenge',
    trigger: { method: 'GET', path: PATH },
    expect: { status: 401, code: 'hoba_credentials_missing', ...CHALLENGE },
    explanation:
      'RFC 7486 §3: `challenge` (base64url, at least 32 random-looking octets), `max-age` (seconds the client has to answer) and `realm`. The challenge is not stored: it carries its expiry and a MAC over it and your address, so an unauthenticated 401 costs the server nothing and cannot fill its store.',
    rfc: problemCatalog.hoba_credentials_missing.rfc,
  },
  {
    id: 'hoba-register-challenge',
    family: 'hoba',
    title: 'Registration without a signature: the challenge to sign',
    trigger: { method: 'POST', path: REGISTER },
    expect: { status: 401, code: 'hoba_credentials_missing', ...CHALLENGE },
    explanation:
      'RFC 7486 §6.1’s registration is itself signed with the key it registers, so that nobody registers a public key whose private half they lack. Without Authorization, the answer is the challenge to sign.',
    rfc: [rfc(7486, '6.1'), rfc(7486, '3')],
  },
  {
    id: 'hoba-register-complete',
    family: 'hoba',
    title: 'A registration signed with its own key: Hobareg: regok',
    trigger: {
      method: 'POST',
      path: REGISTER,
      headers: { Authorization: FOREIGN_RESULT },
      body: {
        kidtype: '0',
        kid: '<sha-256 of the key>',
        didtype: '0',
        did: 'my laptop',
        alg: '0',
        pub: '-----BEGIN PUBLIC KEY-----…',
      },
      contentType: 'form',
      fired: false,
      setup: SETUP,
    },
    expect: { status: 200, challenge: null, headers: { Hobareg: 'regok' } },
    explanation:
      'The form of RFC 7486 §6.1 (kidtype 0: the kid is the base64url SHA-256 of the key’s SubjectPublicKeyInfo; didtype 0, a device name; alg 0, RSA-SHA256; pub in PEM) with a result signed by that key over a challenge of ours. The answer carries `Hobareg: regok` (§6.1). The key is kept an hour under your address, at most five registrations an hour, charged to you.',
    rfc: [rfc(7486, '6.1'), rfc(7486, '9.6')],
  },
  {
    id: 'hoba-complete',
    family: 'hoba',
    title: 'A signed challenge: 200',
    trigger: SIGNED,
    expect: { status: 200, challenge: null },
    explanation:
      'The client signs "len:nonce len:alg len:origin len:realm len:kid len:challenge" (RFC 7486 §2) with RSASSA-PKCS1-v1_5 SHA-256, e.g. "22:<nonce>1:021:http://127.0.0.1:300011:four-oh-one43:<kid>48:<challenge>", and sends kid.challenge.nonce.sig. The origin always has its port; the signature binds the answer to this origin, this realm and this one challenge.',
    rfc: [rfc(7486, '2'), rfc(7486, '3')],
  },
  {
    id: 'hoba-malformed',
    family: 'hoba',
    title: 'A result of three parts',
    trigger: {
      method: 'GET',
      path: PATH,
      headers: { Authorization: 'HOBA result="kid.challenge.sig"' },
    },
    expect: { status: 400, code: 'hoba_malformed', challenge: null },
    explanation:
      'kid.challenge.sig lacks the nonce: the result is four base64url parts (RFC 7486 §3). 400 without a challenge, and nothing is spent.',
    rfc: problemCatalog.hoba_malformed.rfc,
  },
  {
    id: 'hoba-challenge-unknown',
    family: 'hoba',
    title: 'A challenge this server never issued',
    trigger: { method: 'GET', path: PATH, headers: { Authorization: FOREIGN_RESULT } },
    expect: { status: 401, code: 'hoba_challenge_unknown', ...CHALLENGE },
    explanation:
      'A well-formed result over a made-up challenge: its MAC does not verify, so it is refused before any key is looked up. The 401 carries a real challenge to sign instead.',
    rfc: problemCatalog.hoba_challenge_unknown.rfc,
  },
  {
    id: 'hoba-challenge-expired',
    family: 'hoba',
    title: 'A challenge older than its max-age',
    trigger: SIGNED,
    expect: { status: 401, code: 'hoba_challenge_expired', ...CHALLENGE },
    explanation:
      'A result signed over a challenge given more than 60 seconds earlier (max-age="60").',
    rfc: problemCatalog.hoba_challenge_expired.rfc,
  },
  {
    id: 'hoba-challenge-used',
    family: 'hoba',
    title: 'The same signed result again: a replay',
    trigger: SIGNED,
    expect: { status: 401, code: 'hoba_challenge_used', ...CHALLENGE },
    explanation: 'A result that got a 200 a moment ago, sent again: its challenge is spent.',
    rfc: problemCatalog.hoba_challenge_used.rfc,
  },
  {
    id: 'hoba-kid-unknown',
    family: 'hoba',
    title: 'A good challenge signed by a key never registered',
    trigger: SIGNED,
    expect: { status: 401, code: 'hoba_kid_unknown', ...CHALLENGE },
    explanation:
      'The challenge is ours and fresh, but the kid names no key registered for you (another visitor’s kid is unknown to you too).',
    rfc: problemCatalog.hoba_kid_unknown.rfc,
  },
  {
    id: 'hoba-signature-invalid',
    family: 'hoba',
    title: 'A registered kid, signed by another key',
    trigger: SIGNED,
    expect: { status: 401, code: 'hoba_signature_invalid', ...CHALLENGE },
    explanation:
      'The kid of a registered key, and a signature made with a different private key: it does not verify. Counted against the address’s budget of refused credentials.',
    rfc: problemCatalog.hoba_signature_invalid.rfc,
  },
  {
    id: 'hoba-origin-mismatch',
    family: 'hoba',
    title: 'Signed over the origin without its port',
    trigger: SIGNED,
    expect: { status: 401, code: 'hoba_origin_mismatch', ...CHALLENGE },
    explanation:
      'The right key, but the blob says "http://127.0.0.1" where RFC 7486 §2 wants "http://127.0.0.1:80": the classic slip of signing location.origin. The server tries the near misses (no port, no scheme, the other scheme) only after a failed signature, to name the mistake.',
    rfc: problemCatalog.hoba_origin_mismatch.rfc,
  },
  {
    id: 'hoba-realm-mismatch',
    family: 'hoba',
    title: 'Signed without the realm',
    trigger: SIGNED,
    expect: { status: 401, code: 'hoba_realm_mismatch', ...CHALLENGE },
    explanation:
      'The right key, but the blob has "0:" where the realm goes, though the challenge named realm="four-oh-one".',
    rfc: problemCatalog.hoba_realm_mismatch.rfc,
  },
  {
    id: 'hoba-register-invalid',
    family: 'hoba',
    title: 'A registration asking for RSA-SHA1',
    trigger: {
      method: 'POST',
      path: REGISTER,
      headers: { Authorization: FOREIGN_RESULT },
      body: { kidtype: '2', kid: 'kid1', didtype: '0', did: 'old client', alg: '1', pub: 'none' },
      contentType: 'form',
    },
    expect: { status: 400, code: 'hoba_registration_invalid', challenge: null },
    explanation:
      'alg 1 (RSA-SHA1) is in RFC 7486’s registry but not taken here: SHA-1 signatures are no longer trusted. The form is read before the signature, so nothing is spent or stored.',
    rfc: problemCatalog.hoba_registration_invalid.rfc,
  },
];
