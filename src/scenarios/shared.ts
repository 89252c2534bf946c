/** What the cards of more than one family are written with: the resource, tokens, challenges. */
import { problemCatalog, type ProblemCode } from './catalog';

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

/** RFC 6750 §3.1: the 403 of a valid token without `scope`, which names the scope needed. */
export const insufficientScope = (scope: string) =>
  `Bearer realm="four-oh-one", scope="${scope}", error="insufficient_scope", error_description="${problemCatalog.insufficient_scope.title}", ${RESOURCE_METADATA}`;

/** The cookie-session challenge; its cookie name depends on COOKIE_SECURE. */
export const cookieChallenge =
  'Cookie realm="four-oh-one", form-action="/login", cookie-name="{{cookie_name}}"';
