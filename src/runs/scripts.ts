/**
 * The scripts a run can follow: named lists of steps, each a real refusal this server gives
 * elsewhere (the expired token, the scripted 429 and 503 of /api/v1/flaky, insufficient_scope,
 * the session's absolute timeout, the DPoP nonce of /api/v1/dpop/nonce) or a gateway's way of
 * wording one, answered at a chosen point of the run so that a client test meets it where the
 * script says.
 */

/** What a step answers. */
export type StepAnswer =
  | ExpiredAnswer
  | 'rate_limited'
  | 'store_unavailable'
  | 'insufficient_scope'
  | 'session_absolute_expired'
  | 'redirect_elsewhere'
  | 'use_dpop_nonce';

/**
 * How an expired token is refused: this server's 401 token_expired; the same with two
 * challenges in one WWW-Authenticate, DPoP's first and then Bearer's with error="invalid_token"
 * (two_challenges); or as a gateway in front of an API sends it, the standard Bearer challenge
 * and an HTML body that names no code (gateway_body).
 */
export type ExpiredAnswer = 'token_expired' | 'two_challenges' | 'gateway_body';

/**
 * Which requests a step counts: protected resources, refreshes, keepalives, or protected
 * resources with a DPoP-bound token (`Authorization: DPoP`).
 */
export type StepOn = 'resource' | 'refresh' | 'keepalive' | 'dpop';

/**
 * One step. `nth` counts the run's requests of its kind from 1 (`through` the last one it
 * answers, inclusive; Infinity for every later one). An `expire` step instead names a
 * credential: the run's `credential`-th distinct token on a resource is expired from its
 * `fromUse`-th use on, for the rest of the run, as a really expired token would be, refused as
 * `answer` says (token_expired unless told). A use_dpop_nonce step lets through a proof whose
 * nonce is one this server gave: the resource demands a nonce, as /api/v1/dpop/nonce does.
 */
export type Step =
  | { on: StepOn; nth: number; through?: number; answer: Exclude<StepAnswer, ExpiredAnswer> }
  | { expire: { credential: number; fromUse: number }; answer?: ExpiredAnswer };

export interface Script {
  name: string;
  /** What happens, in a sentence. */
  summary: string;
  /** What a correct client does. */
  expect: string;
  steps: Step[];
}

/** A scripted answer is sent after this delay, like a real server's: concurrent requests overlap. */
export const SCRIPTED_LATENCY_MS = 100;

const SCRIPTS: Script[] = [
  {
    name: 'none',
    summary: 'Nothing scripted: the run only records what your client does.',
    expect: 'Whatever your test drives; the report judges every request.',
    steps: [],
  },
  {
    name: 'expiry',
    summary:
      'The first access token the run sees on a protected resource is expired from its first use on (401 token_expired, for the rest of the run).',
    expect: 'Refresh once, retry once with the new token; concurrent requests share one refresh.',
    steps: [{ expire: { credential: 1, fromUse: 1 } }],
  },
  {
    name: 'expiry-twice',
    summary:
      'The first access token expires at its first use, the second at its second use: the client must refresh twice, each time with the newest refresh token.',
    expect:
      'Refresh with the refresh token the last refresh answered (they rotate), retry once each time.',
    steps: [{ expire: { credential: 1, fromUse: 1 } }, { expire: { credential: 2, fromUse: 2 } }],
  },
  {
    name: 'refresh-unavailable',
    summary:
      'The first access token expires at its first use, and the first refresh answers 503 store_unavailable with Retry-After: 2.',
    expect: 'Wait the Retry-After delay, refresh again with the same refresh token, retry once.',
    steps: [
      { expire: { credential: 1, fromUse: 1 } },
      { on: 'refresh', nth: 1, answer: 'store_unavailable' },
    ],
  },
  {
    name: 'rate-limited',
    summary: 'The first protected-resource request answers 429 rate_limited with Retry-After: 2.',
    expect: 'Wait the Retry-After delay, then retry with the same token (it was not refused).',
    steps: [{ on: 'resource', nth: 1, answer: 'rate_limited' }],
  },
  {
    name: 'insufficient-scope',
    summary:
      'The first protected-resource request answers 403 insufficient_scope (the token is valid, its scope is not enough).',
    expect: 'Do not refresh or log in again: a new token with the same grant changes nothing.',
    steps: [{ on: 'resource', nth: 1, answer: 'insufficient_scope' }],
  },
  {
    name: 'session-absolute',
    summary:
      'Cookie sessions: the third keepalive and every later one answer 401 session_absolute_expired.',
    expect:
      'Stop the keepalive loop at the first session_absolute_expired and send the user to log in.',
    steps: [{ on: 'keepalive', nth: 3, through: Infinity, answer: 'session_absolute_expired' }],
  },
  {
    name: 'dpop-nonce',
    summary:
      'The protected resource demands a DPoP nonce (RFC 9449 §9): a request with a DPoP-bound token (Authorization: DPoP and a DPoP proof) whose proof carries no nonce this server gave answers 401 use_dpop_nonce with a DPoP-Nonce header, as /api/v1/dpop/nonce does.',
    expect:
      'Make a new proof whose nonce claim is the DPoP-Nonce value and retry once, with the same token (it was not refused).',
    steps: [{ on: 'dpop', nth: 1, through: Infinity, answer: 'use_dpop_nonce' }],
  },
  {
    name: 'two-challenges',
    summary:
      'The first access token expires at its first use, and its 401 carries two challenges in one WWW-Authenticate: a DPoP challenge first (no error), then Bearer error="invalid_token".',
    expect:
      'Parse the challenges (RFC 9110 §11.6.1), find the Bearer one, and on error="invalid_token" refresh once and retry once.',
    steps: [{ expire: { credential: 1, fromUse: 1 }, answer: 'two_challenges' }],
  },
  {
    name: 'gateway-body',
    summary:
      'The first access token expires at its first use, and its 401 comes as a gateway in front of an API sends one: the standard challenge Bearer error="invalid_token", but an HTML body that names no code and never says "expired".',
    expect:
      'Read the challenge, not the body: on error="invalid_token" refresh once and retry once.',
    steps: [{ expire: { credential: 1, fromUse: 1 }, answer: 'gateway_body' }],
  },
  {
    name: 'redirect',
    summary:
      'The first protected-resource request answers 307 to a path outside the protected resource (/elsewhere/…).',
    expect:
      'Do not send Authorization along: follow redirects manually, or drop the credential when one leaves the resource.',
    steps: [{ on: 'resource', nth: 1, answer: 'redirect_elsewhere' }],
  },
];

export const scripts: readonly Script[] = SCRIPTS;
/** Every answer a step can give, as a record's `step` names it. */
export const STEP_ANSWERS: readonly StepAnswer[] = [
  'token_expired',
  'two_challenges',
  'gateway_body',
  'rate_limited',
  'store_unavailable',
  'insufficient_scope',
  'session_absolute_expired',
  'redirect_elsewhere',
  'use_dpop_nonce',
];
export const SCRIPT_NAMES = SCRIPTS.map((s) => s.name);

export function scriptNamed(name: string): Script | undefined {
  return SCRIPTS.find((s) => s.name === name);
}

/** The credentials (by ordinal) a script expires, from which use, and how they are refused. */
export function expiries(
  script: Script,
): { credential: number; fromUse: number; answer: ExpiredAnswer }[] {
  return script.steps.flatMap((s) =>
    'expire' in s ? [{ ...s.expire, answer: s.answer ?? 'token_expired' }] : [],
  );
}

/** The step that answers the `nth` request of kind `on`, if any. */
export function stepFor(
  script: Script,
  on: StepOn,
  nth: number,
): Exclude<StepAnswer, ExpiredAnswer> | undefined {
  for (const step of script.steps) {
    if ('expire' in step || step.on !== on) continue;
    if (nth >= step.nth && nth <= (step.through ?? step.nth)) return step.answer;
  }
  return undefined;
}

/** Whether a script has steps counting requests of kind `on`. */
export const counts = (script: Script, on: StepOn) =>
  script.steps.some((s) => !('expire' in s) && s.on === on);
