import { problemCatalog } from './catalog';
import { rfc } from './refs';
import type { FamilyInfo, Scenario } from './types';

const RESOURCE = '/concealed/resource';
const HIDDEN = '/concealed/hidden';
/** RFC 9729 defines no challenge; the teaching resource's 401 names the bare scheme. */
const CHALLENGE = 'Concealed';
/** The demo key: ID "basement" (RFC 9729 §5's example), its published Ed25519 public key. */
const K = 'YmFzZW1lbnQ';
const A = '2BXW7lfFBrrVkZMjlmNNE4Ln7NR4O6_UB2lXJBMJNFQ';
/** Placeholders of the right lengths: a 64-byte signature, 16 verification bytes. */
const P = 'A'.repeat(86);
const V = 'A'.repeat(22);
const creds = (o: { k?: string; s?: string } = {}) =>
  `Concealed k=${o.k ?? K}, a=${A}, p=${P}, s=${o.s ?? '2055'}, v=${V}`;
const TLS_SETUP =
  'v= and p= are computed from the TLS connection the request travels on, which no fixed request can know, and this server listens on plain http: serve the app over TLS 1.3 and export on the client’s side of the connection; test/concealed-client.ts does it with node:tls and a self-signed certificate, and test/scenario-setups.test.ts runs it.';

/** The demo key's credentials as a TLS 1.3 client sends them: not fired from here (TLS_SETUP). */
const OVER_TLS: Scenario['trigger'] = {
  method: 'GET',
  path: RESOURCE,
  headers: { Authorization: creds() },
  fired: false,
  setup: TLS_SETUP,
};

/** The family's heading in /scenarios, the playground and the OpenAPI tags. */
export const family: FamilyInfo = {
  title: 'Concealed: an unprompted signature over TLS keying material',
  summary:
    'RFC 9729 on /concealed/resource (each refusal a 401 with its own code, to learn from) and /concealed/hidden (the real behaviour: every failure is the 404 of a path that does not exist). The client signs 32 bytes exported from its TLS 1.3 connection (RFC 5705) and sends `Authorization: Concealed k=…, a=…, p=…, s=…, v=…` without being asked: there is no challenge. This server listens on plain http, where the exporter does not exist; each refusal says so, and the tests serve the same app over TLS 1.3 to complete the exchange. Demo key: ID "basement", Ed25519, its seed published in the README.',
};

/** The family's scenarios, in the order /scenarios and the playground list them. */
export const scenarios: Scenario[] = [
  {
    id: 'concealed-missing',
    family: 'concealed',
    title: 'No credentials on the teaching resource: 401 with the bare scheme',
    trigger: { method: 'GET', path: RESOURCE },
    expect: { status: 401, code: 'concealed_credentials_missing', challenge: CHALLENGE },
    explanation:
      'RFC 9729 has no challenge and no parameters for one; a 401 must still carry WWW-Authenticate (RFC 9110 §11.6.1), so this resource names the scheme alone. That is exactly the probe the scheme exists to defeat: see concealed-hidden for what a real deployment answers.',
    rfc: problemCatalog.concealed_credentials_missing.rfc,
  },
  {
    id: 'concealed-hidden',
    family: 'concealed',
    title: 'No credentials on the hidden resource: the 404 of a path that does not exist',
    trigger: { method: 'GET', path: HIDDEN },
    expect: { status: 404, code: 'not_found', challenge: null },
    explanation:
      'RFC 9729 §6.4: a non-probeable server answers a failed or missing credential with the same response as a resource that does not exist. The body is the one GET /concealed/anything-else gets, word for word but the path; other methods get that 404 too (a 405 would give the resource away). The RFC also warns that the time the checks take can tell; this demo does not pad it.',
    rfc: [rfc(9729, '6.4'), rfc(9110, '15.5.5')],
  },
  {
    id: 'concealed-hidden-credentials',
    family: 'concealed',
    title: 'Credentials that fail on the hidden resource: the same 404',
    trigger: { method: 'GET', path: HIDDEN, headers: { Authorization: creds() } },
    expect: { status: 404, code: 'not_found', challenge: null },
    explanation:
      'Well-formed parameters for the demo key, over plain http: the checks fail (no TLS exporter), and the answer is still the 404 of a missing path, so a prober learns nothing, not even that the scheme is understood here.',
    rfc: [rfc(9729, '6.4'), rfc(9729, '6.3')],
  },
  {
    id: 'concealed-malformed',
    family: 'concealed',
    title: 'v= missing: the field is ignored',
    trigger: {
      method: 'GET',
      path: RESOURCE,
      headers: { Authorization: `Concealed k=${K}, a=${A}, p=${P}, s=2055` },
    },
    expect: { status: 401, code: 'concealed_malformed', challenge: CHALLENGE },
    explanation:
      'RFC 9729 §6.1: a parameter missing or unreadable makes the server ignore the whole Authorization field, so the request counts as unauthenticated: 401, not a 400.',
    rfc: problemCatalog.concealed_malformed.rfc,
  },
  {
    id: 'concealed-scheme-unsupported',
    family: 'concealed',
    title: 'ecdsa_secp256r1_sha256 (s=1027): not verified here',
    trigger: { method: 'GET', path: RESOURCE, headers: { Authorization: creds({ s: '1027' }) } },
    expect: { status: 401, code: 'concealed_signature_scheme_unsupported', challenge: CHALLENGE },
    explanation:
      'A registered TLS SignatureScheme this server does not verify: it takes ed25519 only (s=2055).',
    rfc: problemCatalog.concealed_signature_scheme_unsupported.rfc,
  },
  {
    id: 'concealed-key-unknown',
    family: 'concealed',
    title: 'A key ID the server does not hold',
    trigger: { method: 'GET', path: RESOURCE, headers: { Authorization: creds({ k: 'b3RoZXI' }) } },
    expect: { status: 401, code: 'concealed_key_unknown', challenge: CHALLENGE },
    explanation: 'k=b3RoZXI is "other": not in the database, which holds "basement" only.',
    rfc: problemCatalog.concealed_key_unknown.rfc,
  },
  {
    id: 'concealed-tls-required',
    family: 'concealed',
    title: 'The demo key over plain http: no keying material to check',
    trigger: { method: 'GET', path: RESOURCE, headers: { Authorization: creds() } },
    expect: { status: 401, code: 'concealed_tls_required', challenge: CHALLENGE },
    explanation:
      'Every check that needs no TLS passes (parameters, ed25519, key ID and public key), then the missing piece is named: over plain http there is no exporter output for v= and p= to be compared with. Serve the app over TLS 1.3 to complete the exchange.',
    rfc: problemCatalog.concealed_tls_required.rfc,
  },
  {
    id: 'concealed-complete',
    family: 'concealed',
    title: 'Over TLS 1.3, the demo key’s proof: 200',
    trigger: OVER_TLS,
    expect: { status: 200, challenge: null },
    explanation:
      'The client exported 48 bytes with the label EXPORTER-HTTP-Concealed-Authentication and the context (s, key ID, public key, "https", host, port, empty realm, lengths as QUIC varints), sent the last 16 as v= and the Ed25519 signature of the prefixed first 32 as p=. The server exports the same bytes on its side of the connection and checks both.',
    rfc: [rfc(9729, '3.1'), rfc(9729, '3.2'), rfc(9729, '3.3')],
  },
  {
    id: 'concealed-verification-mismatch',
    family: 'concealed',
    title: 'A header replayed on another TLS connection',
    trigger: OVER_TLS,
    expect: { status: 401, code: 'concealed_verification_mismatch', challenge: CHALLENGE },
    explanation:
      'The proof is bound to the connection: the same header on a new connection meets other keying material, and v= no longer matches.',
    rfc: problemCatalog.concealed_verification_mismatch.rfc,
  },
  {
    id: 'concealed-signature-invalid',
    family: 'concealed',
    title: 'The right verification, a signature over other bytes',
    trigger: OVER_TLS,
    expect: { status: 401, code: 'concealed_signature_invalid', challenge: CHALLENGE },
    explanation:
      'v= is right, so the client holds the exporter output, but p= does not verify under the demo public key over the prefixed signature input.',
    rfc: problemCatalog.concealed_signature_invalid.rfc,
  },
];
