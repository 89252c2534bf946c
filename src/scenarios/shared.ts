/** What the cards of more than one family are written with: the resource, tokens, challenges. */
import { problemCatalog, type ProblemCode } from './catalog';
import type { Expectation, Trigger } from './types';

export const DATA = '/api/v1/data';

export const bearer = (name: string) => ({ Authorization: `Bearer {{token:${name}}}` });

/**
 * Every Bearer challenge names the protected resource metadata (RFC 9728 §5.1). Its URL depends
 * on PUBLIC_URL, so expectations hold `{{public_url}}`, filled by `registryFor` (./registry.ts) like
 * every value that depends on the configuration.
 */
export const RESOURCE_METADATA =
  'resource_metadata="{{public_url}}/.well-known/oauth-protected-resource"';

export const noError = `Bearer realm="four-oh-one", ${RESOURCE_METADATA}`;

export const invalidToken = (code: ProblemCode) =>
  `Bearer realm="four-oh-one", error="invalid_token", error_description="${problemCatalog[code].title}", ${RESOURCE_METADATA}`;

/** The proof algorithms every DPoP challenge advertises (src/tokens/dpop.ts DPOP_ALGS). */
export const DPOP_ALGS_TEXT = 'ES256 EdDSA PS256 RS256';

/**
 * Where a resource takes DPoP too (/api/v1/data, /api/v1/flaky), every Bearer challenge has a
 * DPoP one beside it, with only `algs` (RFC 9449 §7.2, Figures 17 and 18).
 */
export const DPOP_OFFER = `DPoP algs="${DPOP_ALGS_TEXT}"`;

/** A Bearer challenge of a resource that takes DPoP too: the DPoP offer beside it. */
export const orDpop = (bearerChallenge: string) => `${bearerChallenge}, ${DPOP_OFFER}`;

/** RFC 6750 §3.1: the 403 of a valid token without `scope`, which names the scope needed. */
export const insufficientScope = (scope: string) =>
  `Bearer realm="four-oh-one", scope="${scope}", error="insufficient_scope", error_description="${problemCatalog.insufficient_scope.title}", ${RESOURCE_METADATA}`;

/** The cookie-session challenge; its cookie name depends on COOKIE_SECURE. */
export const cookieChallenge =
  'Cookie realm="four-oh-one", form-action="/login", cookie-name="{{cookie_name}}"';

/** The Basic challenge (RFC 7617 §2.1): the classic routes', and the token endpoint's. */
export const BASIC = 'Basic realm="four-oh-one", charset="UTF-8"';

/** A form post (application/x-www-form-urlencoded), as `requests.post(url, data=…)` sends it. */
export const postForm = (path: string, body: NonNullable<Trigger['body']>) =>
  ({ method: 'POST', path, body, contentType: 'form' }) satisfies Trigger;

/** A success that must not be cached (RFC 6749 §5.1): tokens, a login. */
export const OK_NO_STORE: Expectation = {
  status: 200,
  challenge: null,
  headers: { 'cache-control': 'no-store' },
};
