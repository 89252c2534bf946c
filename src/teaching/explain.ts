import { createHash } from 'node:crypto';
import { problemCatalog, type ProblemCode } from '../scenarios/catalog';
import { redactPath } from '../http/redact';
import type { Store } from '../store';
import {
  ACCESS_CHECKS,
  JWS_CHECKS,
  NO_KID,
  type AccessClaims,
  type Evidence,
  type TokenCheck,
} from '../tokens/verify';
import type { DecisionTrace } from './trace';
import { headerKind } from '../site/shared/headers';

/**
 * Decision traces: how a credential was judged, step by step, for `GET /explain/:request_id`
 * and the request's log line. A trace names checks, times and the key id; it never holds a
 * token, a signature, a cookie, a password or a secret, so it may be shown to anyone who has
 * the request id.
 */

/**
 * A trace over an ordered list of checks: those before `failed` passed, those after never ran,
 * and those in `notApplicable` are neither.
 */
export function traceOf(
  guard: string,
  checks: readonly string[],
  failed: string | undefined,
  extra: Pick<DecisionTrace, 'times' | 'facts'> & { notApplicable?: readonly string[] } = {},
): DecisionTrace {
  return {
    ...outcomeOf(guard, checks, failed, extra.notApplicable),
    ...(extra.times ? { times: extra.times } : {}),
    ...(extra.facts ? { facts: extra.facts } : {}),
  };
}

/** A trace without its times and facts: which checks passed, failed, never ran, or do not apply. */
type Outcome = Omit<DecisionTrace, 'times' | 'facts'>;

const OUTCOMES_PER_LIST = 64;
/** The outcomes outcomeOf worked out, by checks list, then guard, failed and skipped checks. */
const outcomes = new WeakMap<readonly string[], Map<string, Outcome>>();

/**
 * The part of a trace that follows from its guard, checks and failed check alone, worked out
 * once and shared, frozen: a refusal with times and facts (an expired token) built the same
 * lists on every request (bench/RESULTS.md, tenth round). The keys are the server's own check
 * names, a few dozen lists in all.
 */
function outcomeOf(
  guard: string,
  checks: readonly string[],
  failed: string | undefined,
  notApplicable: readonly string[] | undefined,
): Outcome {
  let byKey = outcomes.get(checks);
  if (byKey === undefined) outcomes.set(checks, (byKey = new Map()));
  const key = `${guard}\n${failed ?? ''}\n${notApplicable?.join('\n') ?? ''}`;
  let outcome = byKey.get(key);
  if (outcome === undefined) {
    // A check not on the list (a guard that names its own) is shown failing first.
    const at = failed === undefined ? checks.length : Math.max(0, checks.indexOf(failed));
    const skip = new Set(notApplicable ?? []);
    skip.delete(failed ?? '');
    const applies = (c: string) => !skip.has(c);
    const skipped = checks.filter((c) => skip.has(c));
    outcome = Object.freeze({
      guard,
      passed: Object.freeze(checks.slice(0, at).filter(applies)) as string[],
      ...(failed === undefined ? {} : { failed }),
      not_reached: Object.freeze(
        failed === undefined ? [] : checks.slice(at).filter((c) => c !== failed && applies(c)),
      ) as string[],
      ...(skipped.length > 0 ? { not_applicable: Object.freeze(skipped) as string[] } : {}),
    });
    // Bounded all the same: a caller naming checks of its own per request gets no cache.
    if (byKey.size < OUTCOMES_PER_LIST) byKey.set(key, outcome);
  }
  return outcome;
}

/**
 * traceOf for a refusal with no times or facts: the same every time, so built once and shared,
 * frozen (the hot refusals, a missing token or session, make none per request).
 */
export function fixedTrace(
  guard: string,
  checks: readonly string[],
  failed: string | undefined,
): DecisionTrace {
  return outcomeOf(guard, checks, failed, undefined);
}

/**
 * Seconds since the epoch as ISO 8601 without milliseconds. Never throws: a trace is built after
 * the answer is sent, where a throw would end the process, so a time outside the Date range is
 * shown as the number it is.
 */
export function isoSeconds(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString().replace('.000Z', 'Z');
}

/** A value from an untrusted header, made short and printable for a trace. */
export function shortFact(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\x00-\x1f\x7f]/g, '').slice(0, 64);
}

// --- The guards' checks, in the order they run -------------------------------------------------

/** The Authorization header checks every Bearer guard runs first (RFC 6750 §2.1). */
export const HEADER_CHECKS = [
  'credentials sent',
  'scheme is Bearer',
  'exactly one token after "Bearer "',
] as const;

/** RFC 9110 §5.3: Authorization is no list, so it may come once. */
export const ONE_AUTHORIZATION_FIELD = 'at most one Authorization field';
/** RFC 6750 §2: the strict guards take the header method only, not the query or a form body. */
export const TOKEN_IN_HEADER_ONLY =
  'token in the Authorization header only (not the query or a form body)';
/**
 * How a strict Bearer guard (bearerAuth, openaiAuth) reads the credentials, in order: the header
 * checks of every Bearer guard, with how the token was presented around them. httpbin's lenient
 * /bearer runs HEADER_CHECKS alone.
 */
export const PRESENTATION_CHECKS = [
  HEADER_CHECKS[0],
  ONE_AUTHORIZATION_FIELD,
  TOKEN_IN_HEADER_ONLY,
  HEADER_CHECKS[1],
  HEADER_CHECKS[2],
] as const;

export const BEARER_GUARD = 'Bearer access token (RFC 6750, RFC 9068)';
export const BEARER_CHECKS: readonly string[] = [
  ...PRESENTATION_CHECKS,
  ...JWS_CHECKS,
  ...ACCESS_CHECKS,
];

/**
 * The checks that do not apply to a token without a kid: the verifier takes the current key of
 * its algorithm, so nothing about a kid was checked, and a trace must not tick them.
 */
export const KID_CHECKS: readonly TokenCheck[] = [
  'kid is a string',
  'kid names a key of this server',
];

/** The trace of a Bearer refusal at the header or at a token check; undefined if it named none. */
export function bearerTrace(
  failed: string | undefined,
  evidence: Evidence = {},
  guard = BEARER_GUARD,
  checks = BEARER_CHECKS,
): DecisionTrace | undefined {
  if (failed === undefined) return undefined;
  if (evidence.facts === undefined && evidence.times === undefined) {
    return fixedTrace(guard, checks, failed);
  }
  const kidless = evidence.facts?.kid === NO_KID;
  return traceOf(guard, checks, failed, {
    ...evidence,
    ...(kidless ? { notApplicable: KID_CHECKS } : {}),
  });
}

/**
 * The checks that run after a token was accepted, each named by the code its refusal answers
 * (middleware/require-scope.ts, require-role.ts, require-recent-login.ts, the specimen guard on
 * state-changing routes, and /api/v1/flaky's scripted failures).
 */
export const AFTER_BEARER_CHECKS: Readonly<Record<string, string>> = {
  insufficient_scope: 'scope grants this resource',
  role_insufficient: 'role (type) allows this resource',
  insufficient_user_authentication: 'login recent enough (auth_time within max_age)',
  specimen_read_only: 'a token of your own (shared specimens only read)',
  token_expired: 'the scripted failures (?fail=) are used up',
};

/** BEARER_CHECKS and then each check of AFTER_BEARER_CHECKS: one list each, built once. */
const AFTER_BEARER_LISTS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.values(AFTER_BEARER_CHECKS).map((check) => [check, [...BEARER_CHECKS, check]]),
);

/**
 * The trace of a token that passed every check, for a refusal that came after it (a role, a
 * step-up, a scripted failure): built only then, from the claims bearerAuth kept.
 */
export function acceptedBearerTrace(
  auth: { claims: AccessClaims; kid: string; kidless?: boolean },
  nowMs: number,
  toleranceSeconds: number,
  /** The problem code of the refusal that came after the token was accepted, if any. */
  refusedAs?: string,
): DecisionTrace {
  const { claims } = auth;
  const times: Record<string, string | number> = {
    exp: isoSeconds(claims.exp),
    iat: isoSeconds(claims.iat),
  };
  if (typeof claims.nbf === 'number') times.nbf = isoSeconds(claims.nbf);
  if (typeof claims.auth_time === 'number') times.auth_time = isoSeconds(claims.auth_time);
  times.server_time = isoSeconds(Math.floor(nowMs / 1000));
  times.tolerance_seconds = toleranceSeconds;
  const after = refusedAs === undefined ? undefined : AFTER_BEARER_CHECKS[refusedAs];
  return traceOf(
    BEARER_GUARD,
    after === undefined ? BEARER_CHECKS : (AFTER_BEARER_LISTS[after] ?? BEARER_CHECKS),
    after,
    {
      times,
      facts: {
        ...(auth.kidless ? { kid: NO_KID, key: auth.kid } : { kid: auth.kid }),
        // What a later check (scope, role) judged, for /explain to point at.
        ...(typeof claims.scope === 'string' ? { scope: shortFact(claims.scope) ?? '' } : {}),
        ...(typeof claims.type === 'string' ? { type: shortFact(claims.type) ?? '' } : {}),
      },
      ...(auth.kidless ? { notApplicable: KID_CHECKS } : {}),
    },
  );
}

export const SESSION_GUARD = 'cookie session (after draft-broyer-http-cookie-auth)';
export const SESSION_CHECKS = [
  'session cookie sent',
  'session known (signed cookie, stored record)',
  'within both the idle and the absolute timeout',
] as const;

export const BASIC_GUARD = 'HTTP Basic (RFC 7617)';
export const BASIC_CHECKS = [
  'credentials sent',
  'scheme is Basic',
  'one base64 "user-id:password"',
  'user-id and password match',
] as const;

export const DIGEST_GUARD = 'HTTP Digest (RFC 7616)';
export const DIGEST_CHECKS = [
  'credentials sent',
  'scheme is Digest',
  'every parameter once, well formed',
  'qop and algorithm offered here',
  'uri is this request-target',
  'nonce and opaque issued here',
  'response verifies (user name, realm, password)',
  'nonce not expired',
  'nonce count not used before',
  'nonce within the requests this resource allows it',
] as const;

export const API_KEY_GUARD = 'API key in a header of its own';
export const API_KEY_CHECKS = ['key header sent', 'key matches'] as const;

export const EITHER_SCHEME_GUARD = 'one of several schemes (RFC 9110 §11.6.1)';
export const EITHER_SCHEME_CHECKS = [
  'credentials sent',
  'scheme is one this resource takes',
] as const;

/**
 * Guards whose refusals each answer their own problem code, so that the code names the check
 * that failed. Their checks do not run in one fixed order (the OAuth endpoints read parameters,
 * the client and the grant in an order that depends on the grant), so such a trace names the
 * failed check only and claims nothing about the others.
 */
const CODE_GUARDS: { guard: string; failedBy: Record<string, string> }[] = [
  {
    guard: 'Privacy Pass token (RFC 9577, type 0x0002)',
    failedBy: {
      private_token_missing: 'Authorization: PrivateToken sent',
      private_token_malformed: 'token parameter, base64url, the length of its type',
      private_token_type_unsupported: 'token type 0x0002',
      private_token_key_unknown: 'token_key_id is the token-key’s',
      private_token_invalid: 'authenticator verifies (RSASSA-PSS SHA-384)',
      private_token_challenge_mismatch: 'challenge_digest of the current or last challenge',
      private_token_spent: 'nonce not redeemed before',
      private_token_challenge_unreadable: 'a TokenChallenge of type 0x0002 to sign',
    },
  },
  {
    guard: 'VAPID (RFC 8292) on a restricted push subscription',
    failedBy: {
      vapid_credentials_missing: 'Authorization: vapid sent',
      vapid_credentials_malformed: 'auth-params parse; k a P-256 point; t a compact JWS',
      vapid_credentials_incomplete: 't and k both sent',
      vapid_key_mismatch: 'k is the subscription’s applicationServerKey',
      vapid_signature_invalid: 'ES256 signature verifies with k',
      vapid_audience_mismatch: 'aud is this push service’s origin',
      vapid_token_expired: 'exp not past',
      vapid_expiry_too_far: 'exp at most 24 hours ahead',
      vapid_subject_invalid: 'sub a mailto: or https: contact',
      push_ttl_missing: 'TTL header sent',
      push_subscription_gone: 'a live subscription at this endpoint',
      push_encoding_unsupported: 'body is aes128gcm ciphertext',
    },
  },
  {
    guard: 'OAuth 1.0a signed request (RFC 5849, scheme OAuth)',
    failedBy: {
      oauth1_credentials_missing: 'OAuth protocol parameters sent',
      oauth1_request_malformed: 'parameters readable (quoted, percent-encoded, oauth_version 1.0)',
      oauth1_parameter_duplicated: 'each oauth_ parameter sent once',
      oauth1_parameter_missing: 'required oauth_ parameters present',
      oauth1_signature_method_unsupported: 'signature method served (PLAINTEXT over https only)',
      oauth1_consumer_unknown: 'consumer key registered',
      oauth1_token_unknown: 'token issued here',
      oauth1_token_revoked: 'token not revoked',
      oauth1_timestamp_invalid: 'timestamp within 300 seconds of the server clock',
      oauth1_signature_encoding: 'signature over the RFC 3986-encoded base string',
      oauth1_signature_invalid: 'signature verifies over the base string',
      oauth1_nonce_reused: 'nonce not used before with this timestamp',
      oauth1_token_temporary: 'token credentials, not temporary ones (exchanged first)',
      oauth1_callback_invalid: 'oauth_callback is oob, a loopback URI or this server’s',
      oauth1_verifier_invalid: 'temporary credentials approved; the verifier the approval gave',
      oauth1_authorization_unknown: 'temporary credentials issued, pending approval',
    },
  },
  {
    guard: 'HTTP message signature (RFC 9421, HMAC-SHA256)',
    failedBy: {
      http_signature_missing: 'Signature-Input and Signature sent',
      http_signature_malformed: 'fields in RFC 9421 shape, one label in both',
      http_signature_keyid_unknown: 'keyid and alg name a key this server holds',
      http_signature_components_missing: 'covers @method, @path and content-digest',
      http_signature_invalid: 'signature base verifies; Content-Digest matches the body',
      http_signature_expired: 'created within 300 seconds of the server clock',
    },
  },
  {
    guard: 'NTLM handshake under Negotiate or NTLM ([MS-NLMP], RFC 4559)',
    failedBy: {
      ntlm_credentials_missing: 'Negotiate or NTLM credentials sent',
      ntlm_malformed: 'one base64 NTLM message, type 1 or 3, its fields inside it',
      negotiate_kerberos_unavailable: 'an NTLM message (no Kerberos or SPNEGO: no KDC)',
      ntlm_handshake_continue: 'an AUTHENTICATE message (a NEGOTIATE gets the challenge)',
      ntlm_v1_refused: 'an NTLMv2 response (not LM or NTLMv1)',
      ntlm_connection_changed: 'answers the challenge issued to you on this connection',
      ntlm_credentials_invalid: 'NTProofStr verifies (user, domain, password)',
    },
  },
  {
    guard: 'SCRAM over HTTP (RFC 7804)',
    failedBy: {
      scram_credentials_missing: 'SCRAM-SHA-256 or SCRAM-SHA-1 credentials sent',
      scram_malformed: 'data= one base64 SCRAM message, its attributes in order',
      scram_channel_binding_unsupported: 'no channel binding asked (no TLS here)',
      scram_continue: 'a client-final message (a client-first one gets the server-first)',
      scram_sid_invalid: 'sid issued to you, unused, within 60 s; its nonce and GS2 header',
      scram_proof_invalid: 'ClientProof verifies (user, password)',
    },
  },
  {
    guard: 'GNAP resource server and grant endpoint (RFC 9635)',
    failedBy: {
      gnap_token_missing: 'Authorization: GNAP <token> sent',
      gnap_malformed: 'one token after GNAP',
      gnap_token_invalid: 'token issued to you by this AS, not expired (300 s)',
      gnap_proof_missing: 'Signature-Input and Signature sent (httpsig)',
      gnap_key_mismatch: 'keyid is the kid of the key the token is bound to',
      gnap_proof_invalid:
        'signature tag="gnap" over the required components verifies, created fresh',
      gnap_access_insufficient: "the token's access covers the action",
      gnap_grant_invalid_request: 'grant request: access_token.access and client.key with a JWK',
      gnap_grant_invalid_client: 'grant request signed with the key it presents',
      gnap_grant_invalid_flag: 'no flags asked (tokens are key-bound)',
    },
  },
  {
    guard: 'Mutual (RFC 8120), challenge and client messages only',
    failedBy: {
      mutual_credentials_missing: 'Mutual credentials sent',
      mutual_invalid_parameters:
        'version 1, the offered algorithm, validation=host, this realm, user and kc1 in the group',
      mutual_stale_session: 'sid of a session this server holds (it issues none)',
      mutual_key_exchange_not_implemented: 'the RFC 8121 key exchange (not implemented here)',
    },
  },
  {
    guard: 'HOBA (RFC 7486)',
    failedBy: {
      hoba_credentials_missing: 'HOBA result sent',
      hoba_malformed: 'result is kid.challenge.nonce.sig, four base64url parts',
      hoba_registration_invalid:
        'the registration form: kidtype, kid, didtype, did, alg 0, RSA pub',
      hoba_challenge_unknown: 'challenge issued by this server, to you',
      hoba_challenge_expired: 'challenge within its max-age (60 s)',
      hoba_kid_unknown: 'kid registered by you',
      hoba_origin_mismatch: 'signature over this origin (with its port)',
      hoba_realm_mismatch: 'signature over this realm',
      hoba_signature_invalid: 'signature verifies with the registered key',
      hoba_challenge_used: 'challenge not answered before',
    },
  },
  {
    guard: 'Concealed (RFC 9729), checked in RFC 9729 §6.3 order',
    failedBy: {
      concealed_credentials_missing: 'Authorization: Concealed sent',
      concealed_malformed: 'k, a, p, s, v present once each, base64url and an integer',
      concealed_signature_scheme_unsupported: 's=2055 (ed25519)',
      concealed_key_unknown: 'k is a known key ID and a its public key',
      concealed_tls_required: 'the request came over TLS 1.3 (an exporter exists)',
      concealed_verification_mismatch: "v is this connection's exporter output for this context",
      concealed_signature_invalid: 'p verifies over the prefixed signature input',
    },
  },
  {
    guard: 'webhook signature (HMAC-SHA256 over timestamp and body, Stripe-style)',
    failedBy: {
      webhook_signature_missing: 'Stripe-Signature header sent',
      webhook_signature_malformed: 'header is t=<unix seconds>,v1=<hex>',
      webhook_signature_invalid: 'a v1 signature matches the body and timestamp',
      webhook_signature_expired: 'timestamp within 300 seconds of the server clock',
      webhook_signature_replayed: 'signature not accepted before within the window',
    },
  },
  {
    guard: 'OAuth endpoint (RFC 6749 §5.2, RFC 7009, RFC 7662)',
    failedBy: {
      invalid_request: 'parameters well-formed (each once, as strings)',
      invalid_client: 'client authenticated',
      unsupported_grant_type: 'grant type served',
      invalid_grant: 'grant valid (password right; refresh token known, unexpired, unrevoked)',
      refresh_token_reused: 'refresh token not used before',
      refresh_token_idle_expired: 'refresh token used within its idle lifetime',
      refresh_token_absolute_expired: 'refresh token family within its absolute lifetime',
      invalid_scope: 'scope allowed to this client or user',
      unauthorized_client: 'grant type registered for this client',
      authorization_code_invalid: 'code issued here (known)',
      authorization_code_expired: 'code within its 60 seconds',
      authorization_code_reused: 'code not used before',
      authorization_code_client_mismatch: 'code issued to this client',
      redirect_uri_mismatch: 'redirect_uri as in the authorization request',
      pkce_verifier_mismatch: 'code_verifier matches the code_challenge (PKCE)',
      grant_account_locked: 'password right; account not locked',
      grant_account_disabled: 'password right; account not disabled',
      grant_password_expired: 'password right; password not expired',
      grant_mfa_required: 'password right; no second factor required',
      grant_dpop_proof_invalid: 'DPoP proof valid for POST to this endpoint (RFC 9449 §4.3)',
      grant_dpop_nonce_required: 'DPoP proof carries the server’s current nonce (RFC 9449 §8)',
      grant_dpop_key_mismatch: 'refresh token’s DPoP key signed the proof (RFC 9449 §5)',
    },
  },
  {
    guard: 'authorization endpoint (RFC 6749 §4.1, GET/POST /authorize)',
    failedBy: {
      authorize_client_unknown: 'client_id registered',
      authorize_redirect_uri_invalid: 'redirect_uri registered for the client, exactly',
      csrf_token_invalid: 'form token issued for this request, recent',
      authorize_request_expired: 'authorization request pending (not answered, not expired)',
    },
  },
  {
    guard: 'cookie session login (POST /login)',
    failedBy: {
      login_failed: 'username and password match',
      account_locked: 'password right; account not locked',
      account_disabled: 'password right; account not disabled',
      password_expired: 'password right; password not expired',
      mfa_required: 'password right; no second factor required',
    },
  },
  {
    guard: 'second factor (POST /login/mfa)',
    failedBy: {
      mfa_token_invalid: 'mfa_token known, recent, for this client address',
      mfa_code_invalid: 'one-time code right',
    },
  },
  {
    guard: 'forward proxy (absolute-form request, RFC 9112 §3.2.2)',
    failedBy: {
      proxy_credentials_missing: 'Proxy-Authorization present',
      proxy_credentials_invalid: 'Proxy-Authorization holds the proxy’s Basic credentials',
      proxy_target_refused: 'the target is this server itself',
    },
  },
  {
    guard: 'runs (X-Run-Id or /runs/{id}/, routes/runs.ts)',
    failedBy: {
      run_not_found: 'the run was opened by this address',
      run_expired: 'the run has not ended',
      run_limit_reached: 'this address has runs left in its window',
    },
  },
];

/**
 * Refusals that come before any credential is judged, or from a fixture: the request itself
 * (its route, method, body, parameters), a limit, or the store. Their trace names the one check
 * that failed and claims nothing about others. A hidden resource's 404 gets the same trace as
 * an unknown path, word for word, or /explain would give it away.
 */
const REQUEST_CHECKS: Record<string, string> = {
  not_found: 'a route serves this path',
  method_not_allowed: 'the route serves this method',
  bad_request: 'the request is readable HTTP',
  body_malformed: 'the body parses as its Content-Type',
  body_invalid: 'the body’s fields are present and of the right type',
  body_too_large: 'the body is within the size limit',
  media_type_unsupported: 'the body’s media type, charset and encoding are read here',
  header_too_large: 'the headers are within the size limit',
  parameter_invalid: 'the parameters are valid',
  model_not_found: 'the model exists',
  rate_limited: 'within the request rate limit of this address',
  too_many_attempts: 'within the refused-credentials limit of this address and account',
  visitor_quota_exceeded: 'this visitor’s share of the store has room',
  store_unavailable: 'the store answers',
  store_full: 'the store has room',
  shutting_down: 'this instance is accepting work (not draining)',
  internal_error: 'the server did not fail',
  status_unauthorized: 'a fixture: /status/401 always refuses',
  proxy_auth_required: 'a fixture: /status/407 always refuses',
  status_requested: 'a fixture: /status/{code} answers the status asked for',
};
export const REQUEST_GUARD = 'the request itself (no credential was judged)';

/**
 * The trace of a refusal whose middleware named no check: the one check its code names, under
 * the guard the code belongs to; undefined for a code that names none.
 */
export function traceForCode(code: string): DecisionTrace | undefined {
  for (const g of CODE_GUARDS) {
    const failed = g.failedBy[code];
    if (failed !== undefined) return traceOf(g.guard, [failed], failed);
  }
  const failed = REQUEST_CHECKS[code];
  return failed === undefined ? undefined : traceOf(REQUEST_GUARD, [failed], failed);
}

// --- The stored explanation ---------------------------------------------------------------------

/** How long an explanation is kept: long enough to look up a failure just seen, no longer. */
export const EXPLANATION_TTL_MS = 15 * 60 * 1000;
/**
 * Explanations written per minute per client address (express-rate-limit's `ipKeyGenerator`,
 * the key every limit here uses): EXPLAIN_PER_ADDRESS_PER_MINUTE. Over it, that address's
 * refusals are not explained (the log line still carries the trace); other addresses are
 * unaffected. The default lets one learner run every scenario of the playground at once.
 */
export const EXPLANATIONS_PER_ADDRESS_PER_MINUTE = 120;
/**
 * In a shared store (Redis), where old entries cannot be made to give way, each address's
 * explanations are charged to an owner of their own (apart from its sessions and tokens, so
 * that explanations never crowd those out), bounded by the store's per-visitor quota. There is
 * no process-wide budget: one address's flood must not blank another's explanations.
 */
const explanationOwner = (address: string) =>
  `explain-${createHash('sha256').update(address).digest('base64url').slice(0, 16)}`;
/** The process's own shelf of explanations (no Redis): its bounds in entries and bytes. */
export const EXPLANATION_SHELF_ENTRIES = 20_000;
export const EXPLANATION_SHELF_BYTES = 16 * 1024 * 1024;
/** The largest explanation kept, as JSON; longer details and facts are cut to fit. */
export const MAX_EXPLANATION_BYTES = 4096;
/** How many addresses the per-minute budget remembers; beyond it the oldest is forgotten. */
const MAX_ADDRESSES = 10_000;

export const explanationKey = (id: string) => `explain:${id}`;

/** What `GET /explain/:id` answers: the refusal, the trace, and where to read why. */
export interface Explanation {
  /** The request id the answer carried: the server's, or the client's own X-Request-Id. */
  request_id: string;
  /** When the answer was sent, ISO 8601. */
  at: string;
  method: string;
  /** The path, with any credential in it replaced by "[redacted]" (src/http/redact.ts). */
  path: string;
  status: number;
  code: ProblemCode;
  title: string;
  /** The problem's detail, as the response said it (paths redacted). */
  detail?: string;
  /** The decision trace; null when the refusal came from no credential check (a 404, a body). */
  trace: DecisionTrace | null;
  /**
   * The answer's response headers as [name, value] pairs (values cut to 512 characters), never
   * Set-Cookie: /explain shows those that matter first (src/site/shared/headers.ts). Only those
   * are kept when the whole would not fit MAX_EXPLANATION_BYTES.
   */
  headers?: [string, string][];
  /** The problem's documentation: why, and what to do. */
  type: string;
  remedy: string;
}

export function buildExplanation(fields: {
  requestId: string;
  at: number;
  method: string;
  path: string;
  status: number;
  code: ProblemCode;
  detail?: string;
  trace?: DecisionTrace;
  /** The response's headers, as `res.getHeaders()` gives them. */
  headers?: Record<string, number | string | string[] | undefined>;
}): Explanation {
  const def = problemCatalog[fields.code];
  return {
    request_id: fields.requestId,
    at: new Date(fields.at).toISOString(),
    method: fields.method.slice(0, 32),
    path: redactPath(fields.path).slice(0, 256),
    status: fields.status,
    code: fields.code,
    title: def.title,
    ...(fields.detail === undefined ? {} : { detail: redactPath(fields.detail).slice(0, 1024) }),
    trace: fields.trace ?? null,
    ...(fields.headers === undefined ? {} : { headers: keptHeaders(fields.headers) }),
    type: `/problems/${fields.code}`,
    remedy: def.remedy,
  };
}

/** The longest header value an explanation keeps, and the most headers. */
const MAX_HEADER_VALUE = 512;
const MAX_HEADERS = 40;

/** Response headers as an explanation keeps them: pairs, bounded, never a cookie being set. */
function keptHeaders(
  headers: Record<string, number | string | string[] | undefined>,
): [string, string][] {
  const kept: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.toLowerCase() === 'set-cookie') continue;
    const text = Array.isArray(value) ? value.join(', ') : String(value);
    kept.push([name.toLowerCase().slice(0, 64), text.slice(0, MAX_HEADER_VALUE)]);
    if (kept.length >= MAX_HEADERS) break;
  }
  return kept;
}

/**
 * The explanation as stored: at most MAX_EXPLANATION_BYTES of JSON. Every part is bounded when
 * built, so this only guards the sum: past it the headers that do not matter go first; then the
 * trace keeps its checks but loses its times and facts, and the detail is cut; undefined if
 * even that does not fit.
 */
export function explanationJson(explanation: Explanation): string | undefined {
  let json = JSON.stringify(explanation);
  if (Buffer.byteLength(json) <= MAX_EXPLANATION_BYTES) return json;
  if (explanation.headers !== undefined) {
    explanation = {
      ...explanation,
      headers: explanation.headers.filter(([name]) => headerKind(name) !== 'other'),
    };
    json = JSON.stringify(explanation);
    if (Buffer.byteLength(json) <= MAX_EXPLANATION_BYTES) return json;
  }
  const { trace, detail } = explanation;
  json = JSON.stringify({
    ...explanation,
    ...(detail === undefined ? {} : { detail: detail.slice(0, 256) }),
    trace: trace && {
      guard: trace.guard,
      passed: trace.passed,
      failed: trace.failed,
      not_reached: trace.not_reached,
    },
  });
  return Buffer.byteLength(json) <= MAX_EXPLANATION_BYTES ? json : undefined;
}

/** Where explanations are kept: this process's shelf, or the shared store. */
interface Shelf {
  put(id: string, json: string, address?: string): Promise<void>;
  get(id: string): Promise<string | undefined>;
}

/**
 * This process's explanations, bounded in entries and bytes. When full, the oldest give way:
 * an explanation is no security state, and dropping new ones instead would let one flood blank
 * everyone's. Entries are kept in insertion order, which with one TTL is also expiry order.
 */
export class ExplanationShelf implements Shelf {
  private readonly entries = new Map<string, { json: string; expiresAt: number }>();
  private bytes = 0;

  constructor(
    private readonly now: () => number,
    private readonly maxEntries = EXPLANATION_SHELF_ENTRIES,
    private readonly maxBytes = EXPLANATION_SHELF_BYTES,
  ) {}

  /** Entries and characters of JSON held (about bytes: mostly ASCII); for tests and bench/. */
  get usage(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  private drop(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.bytes -= entry.json.length;
    this.entries.delete(id);
  }

  async put(id: string, json: string): Promise<void> {
    const now = this.now();
    this.drop(id);
    this.entries.set(id, { json, expiresAt: now + EXPLANATION_TTL_MS });
    this.bytes += json.length;
    for (const [oldest, entry] of this.entries) {
      const over = this.entries.size > this.maxEntries || this.bytes > this.maxBytes;
      if (!over && entry.expiresAt > now) break;
      if (oldest === id) break;
      this.drop(oldest);
    }
  }

  async get(id: string): Promise<string | undefined> {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.drop(id);
      return undefined;
    }
    return entry.json;
  }
}

/** Explanations in the shared store (Redis): any instance can explain another's refusal. */
class StoreShelf implements Shelf {
  constructor(private readonly store: Store) {}

  async put(id: string, json: string, address?: string): Promise<void> {
    const owner = address === undefined ? undefined : explanationOwner(address);
    await this.store.set(explanationKey(id), json, EXPLANATION_TTL_MS, owner);
  }

  async get(id: string): Promise<string | undefined> {
    return this.store.get(explanationKey(id));
  }
}

export interface ExplanationBookOptions {
  /** The shared store (Redis); without one, explanations stay on this process's own shelf. */
  store?: Store;
  now: () => number;
  perAddressPerMinute?: number;
  /** Only without one: the shelf's bounds. */
  shelfEntries?: number;
  shelfBytes?: number;
}

/**
 * The explanations of recent refused requests, each kept EXPLANATION_TTL_MS under an id the
 * server generated (a client's own X-Request-Id is never a key, so no one can overwrite or read
 * another's explanation by sending its id). Who may write is budgeted per client address.
 */
export class ExplanationBook {
  private readonly shelf: Shelf;
  private readonly now: () => number;
  private readonly perAddress: number;
  private window = { start: -Infinity, written: 0, byAddress: new Map<string, number>() };

  constructor(options: ExplanationBookOptions) {
    this.now = options.now;
    this.perAddress = options.perAddressPerMinute ?? EXPLANATIONS_PER_ADDRESS_PER_MINUTE;
    if (options.store !== undefined) {
      this.shelf = new StoreShelf(options.store);
    } else {
      this.shelf = new ExplanationShelf(this.now, options.shelfEntries, options.shelfBytes);
    }
  }

  /**
   * Whether a refusal to `address` may be explained; counts it if so. Asked when the refusal is
   * written, so that the answer names its explanation only when one will be kept.
   */
  claim(address: string): boolean {
    const now = this.now();
    let w = this.window;
    if (now - w.start >= 60_000) {
      w = this.window = { start: now, written: 0, byAddress: new Map() };
    }
    const used = w.byAddress.get(address) ?? 0;
    if (used >= this.perAddress) return false;
    if (used === 0 && w.byAddress.size >= MAX_ADDRESSES) {
      // Forgetting the oldest address's count only gives it a fresh budget; memory stays bounded.
      const oldest = w.byAddress.keys().next().value;
      if (oldest !== undefined) w.byAddress.delete(oldest);
    }
    w.byAddress.set(address, used + 1);
    w.written += 1;
    return true;
  }

  /**
   * Keeps an explanation under `id`, charged to the client `address` in a shared store; false
   * if it could not be made to fit. Store errors reach the caller.
   */
  async record(id: string, explanation: Explanation, address?: string): Promise<boolean> {
    const json = explanationJson(explanation);
    if (json === undefined) return false;
    await this.shelf.put(id, json, address);
    return true;
  }

  async find(id: string): Promise<Explanation | undefined> {
    const raw = await this.shelf.get(id);
    if (raw === undefined) return undefined;
    try {
      return JSON.parse(raw) as Explanation;
    } catch {
      return undefined;
    }
  }
}
