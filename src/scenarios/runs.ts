import { problemCatalog } from './catalog';
import { rfc } from './refs';
import { DATA } from './shared';
import type { FamilyInfo, Scenario } from './types';

/** The family's heading in /scenarios, the playground and the OpenAPI tags. */
export const family: FamilyInfo = {
  title: 'Grade your client: runs and their reports',
  summary:
    'Point a client test at a run and read what your client did with each refusal. `POST /runs` (optionally `{"script": "expiry"}`, see `GET /runs/scripts`) answers a run id, a `base_url` (`/runs/{id}/` in front of any path of this server) and an `X-Run-Id` header: every request sent either way is recorded (time, method, path, a fingerprint of its credential, never the credential, status and code) and, if the script says so, answered with a scripted refusal (an expired token, a 429 or 503 with Retry-After, a 403 insufficient_scope, the session’s absolute timeout, a demanded DPoP nonce, a 401 with two challenges, a gateway’s 401 whose body says nothing, a redirect). `GET /runs/{id}/report` judges the run: each rule (a refused token retried, a retry storm, Retry-After ignored, a reused or concurrently refreshed refresh token, a 403 treated as a 401, a credential sent outside the resource, an expired token used on, keepalives after the absolute timeout, a DPoP nonce not used, a challenge list misread, a challenge not read but the body string-matched) with `passed`, its evidence (request numbers), the standard it comes from and the fix. Runs are per address, 30 minutes, 200 requests, 5 per address per 30 minutes. In the playground, this family’s panel opens a run from the page, drives it with a correct or a buggy client in your browser and shows the report.',
};

/** A run id of the right shape that no run has: its end (base-36 seconds) is far in the future. */
const NO_SUCH_RUN = 'AAAAAAAAAAAAAAAA.zzzzzzz';
/** A run id of the right shape whose end has passed. */
const ENDED_RUN = 'AAAAAAAAAAAAAAAA.1';

/** The family's scenarios, in the order /scenarios and the playground list them. */
export const scenarios: Scenario[] = [
  {
    id: 'runs-open',
    family: 'runs',
    title: 'Open a run that expires the first token it sees',
    trigger: { method: 'POST', path: '/runs', body: { script: 'expiry' } },
    expect: { status: 201, challenge: null, headers: { 'cache-control': 'no-store' } },
    explanation:
      'The answer names the run: its `id`, its `base_url` (a client that can only change its base URL, like the OpenAI SDK’s `baseURL` or the article’s Python clients, prefixes every path with it) and the `X-Run-Id` header (for a client that can add a header), with the `report_url`. With the script `expiry`, the first access token the run sees on a protected resource answers 401 token_expired from then on: a correct client refreshes once and retries once. Opening a run needs no credentials; each address may open 5 per 30 minutes.',
    rfc: [rfc(9110, '15.3.2')],
  },
  {
    id: 'runs-script-unknown',
    family: 'runs',
    title: 'A script no run can follow',
    trigger: { method: 'POST', path: '/runs', body: { script: 'chaos' } },
    expect: { status: 400, code: 'parameter_invalid', challenge: null },
    explanation:
      'The scripts are a fixed list (`GET /runs/scripts`): none, expiry, expiry-twice, refresh-unavailable, rate-limited, insufficient-scope, session-absolute, dpop-nonce, two-challenges, gateway-body, redirect. Anything else is refused before a run is opened, and nothing is counted.',
    rfc: problemCatalog.parameter_invalid.rfc,
  },
  {
    id: 'runs-open-cross-site',
    family: 'runs',
    title: 'A run opened by another site’s page: 403 csrf_origin_refused',
    trigger: {
      method: 'POST',
      path: '/runs',
      body: { script: 'expiry' },
      headers: { Origin: 'https://evil.example' },
    },
    expect: { status: 403, code: 'csrf_origin_refused', challenge: null },
    explanation:
      'The playground opens runs with a form on this site’s page; a page on another site could make a visitor’s browser post the same form, and spend the runs of the visitor’s address. So a browser’s POST /runs from another origin (an Origin neither this site nor on CORS_ORIGINS, `Origin: null`, or `Sec-Fetch-Site: cross-site`) is refused before its body is read, and no run is opened or counted. Test suites, curl and SDKs send no Origin and are not affected.',
    rfc: problemCatalog.csrf_origin_refused.rfc,
  },
  {
    id: 'runs-not-found',
    family: 'runs',
    title: 'A request in a run this address never opened',
    trigger: { method: 'GET', path: DATA, headers: { 'X-Run-Id': NO_SUCH_RUN } },
    expect: { status: 404, code: 'run_not_found', challenge: null },
    explanation:
      'A request that names a run is served only in that run: an unknown run is a 404 before any route looks at the request (so a typo in the run id never passes silently as an unrecorded request). Runs are per address: another visitor’s run id is unknown here too, so nobody can read or fill someone else’s run.',
    rfc: problemCatalog.run_not_found.rfc,
  },
  {
    id: 'runs-expired',
    family: 'runs',
    title: 'A request in a run that has ended',
    trigger: { method: 'GET', path: `/runs/${ENDED_RUN}${DATA}` },
    expect: { status: 404, code: 'run_expired', challenge: null },
    explanation:
      'A run lives 30 minutes from its opening and its records end with it. Its id says when it ends, so the answer can tell an ended run from one that never was.',
    rfc: problemCatalog.run_expired.rfc,
  },
  {
    id: 'runs-limit-reached',
    family: 'runs',
    title: 'A sixth run within 30 minutes',
    trigger: {
      method: 'POST',
      path: '/runs',
      fired: false,
      setup: 'Open five runs from one address, then a sixth within 30 minutes.',
    },
    expect: {
      status: 429,
      code: 'run_limit_reached',
      challenge: null,
      headers: { 'retry-after': '1800' },
    },
    explanation:
      'Opening a run needs no credentials (the demo credentials are public, so a token would bound nothing), so what bounds the state an anonymous address can create is the address itself: 5 runs per 30 minutes, 200 recorded requests each, every record charged to the address’s store quota.',
    rfc: problemCatalog.run_limit_reached.rfc,
  },
];
