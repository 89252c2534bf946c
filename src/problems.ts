import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { storeFailureLog } from './outage-log';
import { problemCatalog, type ProblemCode } from './scenarios/catalog';

/** The realm every challenge names. */
export const REALM = 'four-oh-one';

export interface ProblemOptions {
  /** For a person: what exactly went wrong. Never a token, a secret or a stack trace. */
  detail?: string;
  /** Response headers that travel with the error, e.g. WWW-Authenticate or Retry-After. */
  headers?: Record<string, string>;
  /** Extra members for the problem body (RFC 9457 §3.2). */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * An error that knows its answer: the status comes from the problem catalog, so a code can never
 * be sent with two different statuses.
 */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  readonly code: ProblemCode;
  readonly detail: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(code: ProblemCode, options: ProblemOptions = {}) {
    super(options.detail ?? problemCatalog[code].title, { cause: options.cause });
    this.code = code;
    this.status = problemCatalog[code].status;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }
}

/** Shorthand for `new HttpError(code, options)`, to read well after `throw` and `next(...)`. */
export function problem(code: ProblemCode, options?: ProblemOptions): HttpError {
  return new HttpError(code, options);
}

/** Thrown by a store that cannot answer; becomes 503, never 401 (nobody is logged out by an outage). */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/** Thrown by a store that holds as much as it may: the server's bound, not one visitor's (503). */
export class StoreFullError extends StoreUnavailableError {
  override name = 'StoreFullError';
}

/** Thrown when one owner (a visitor) holds its whole quota of entries or bytes (429). */
export class QuotaExceededError extends Error {
  override name = 'QuotaExceededError';
  constructor(
    message: string,
    /** When some of the owner's entries will have expired, in seconds. */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

// --- Challenges (RFC 9110 §11.6.1) -------------------------------------------------------------

/** RFC 9110 §5.6.2 token characters: what may stand unquoted as a scheme or parameter name. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Quotes a value as an RFC 9110 §5.6.4 quoted-string, dropping characters it cannot carry. */
export function quote(value: string): string {
  // qdtext allows HTAB, SP, VCHAR and obs-text; control characters cannot be sent at all.
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '');
  return `"${clean.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Builds one challenge: `Scheme name="value", ...`. Parameters whose value is undefined are left
 * out; names must be tokens. Values are always quoted, which every parser accepts.
 */
export function challenge(scheme: string, params: Record<string, string | undefined> = {}): string {
  if (!TOKEN.test(scheme)) throw new TypeError(`challenge scheme is not a token: ${scheme}`);
  const parts: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (!TOKEN.test(name)) throw new TypeError(`challenge parameter is not a token: ${name}`);
    parts.push(`${name}=${quote(value)}`);
  }
  return parts.length > 0 ? `${scheme} ${parts.join(', ')}` : scheme;
}

/** Several challenges in one header field, comma-separated (RFC 9110 §11.6.1). */
export function challenges(...list: string[]): string {
  return list.join(', ');
}

/** RFC 6750 §3: `error_description` may hold only %x20-21 / %x23-5B / %x5D-7E. */
export function rfc6750Text(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '');
}

export interface BearerChallengeOptions {
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | string;
  errorDescription?: string;
  scope?: string;
  /** RFC 9728 §5.1: where a client finds the protected resource metadata. */
  resourceMetadata?: string;
  [param: string]: string | undefined;
}

/** A Bearer challenge per RFC 6750 §3; without `error` when the request carried no credentials. */
export function bearerChallenge(options: BearerChallengeOptions = {}): string {
  const { error, errorDescription, scope, resourceMetadata, ...rest } = options;
  return challenge('Bearer', {
    realm: REALM,
    scope,
    error,
    error_description: errorDescription === undefined ? undefined : rfc6750Text(errorDescription),
    ...rest,
    resource_metadata: resourceMetadata,
  });
}

/** The Bearer challenges a protected resource sends, built once per resource (RFC 6750 §3). */
export interface BearerChallenges {
  /** For a request with no (usable) credentials: no `error` parameter. */
  noCredentials: string;
  /** For a broken Authorization header: `error="invalid_request"`. */
  invalidRequest: string;
  /** For a refused token: `error="invalid_token"` described by the problem's title. */
  invalidToken(code: ProblemCode): string;
}

export function bearerChallenges(resourceMetadata?: string): BearerChallenges {
  const invalidToken = new Map<ProblemCode, string>();
  return {
    noCredentials: bearerChallenge({ resourceMetadata }),
    invalidRequest: bearerChallenge({
      error: 'invalid_request',
      errorDescription: problemCatalog.authorization_malformed.title,
      resourceMetadata,
    }),
    invalidToken(code) {
      let value = invalidToken.get(code);
      if (value === undefined) {
        value = bearerChallenge({
          error: 'invalid_token',
          errorDescription: problemCatalog[code].title,
          resourceMetadata,
        });
        invalidToken.set(code, value);
      }
      return value;
    },
  };
}

// --- The one writer of error bodies ----------------------------------------------------------

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** The body of every error response (RFC 9457), plus this server's `code`, `request_id`, `remedy`. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance: string;
  code: ProblemCode;
  request_id: string;
  remedy: string;
  [extension: string]: unknown;
}

/** body-parser's error `type`s, and the problems they are. */
const BODY_ERRORS: Record<string, ProblemCode> = {
  'entity.parse.failed': 'body_malformed',
  'entity.verify.failed': 'body_malformed',
  'request.aborted': 'body_malformed',
  'request.size.invalid': 'body_malformed',
  'parameters.too.many': 'body_too_large',
  'entity.too.large': 'body_too_large',
  'encoding.unsupported': 'media_type_unsupported',
  'charset.unsupported': 'media_type_unsupported',
};

/** Turns anything thrown into an HttpError; unknown errors become a generic 500. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof QuotaExceededError) {
    return problem('visitor_quota_exceeded', {
      detail: `Your address holds as much server state as one visitor may (${err.message}); other visitors are unaffected. Older entries expire on their own.`,
      headers: { 'Retry-After': String(err.retryAfterSeconds) },
      cause: err,
    });
  }
  if (err instanceof StoreFullError) {
    return problem('store_full', {
      detail:
        'The server holds as much state as its operator allows (every visitor, not only you). Your credentials were not judged; try again later.',
      headers: { 'Retry-After': '60' },
      cause: err,
    });
  }
  if (err instanceof StoreUnavailableError) {
    return problem('store_unavailable', {
      detail:
        'The state store did not answer. Your credentials were not judged; try again shortly.',
      headers: { 'Retry-After': '2' },
      cause: err,
    });
  }
  if (typeof err === 'object' && err !== null) {
    const e = err as { type?: unknown; status?: unknown; statusCode?: unknown; expose?: unknown };
    const byType = typeof e.type === 'string' ? BODY_ERRORS[e.type] : undefined;
    if (byType) return problem(byType, { detail: bodyErrorDetail(byType), cause: err });
    // zlib's errors (Z_DATA_ERROR, …): a body that is not the gzip or deflate data its
    // Content-Encoding names is a malformed body, not an unreadable request.
    const zlibCode = (err as { code?: unknown }).code;
    if (typeof zlibCode === 'string' && zlibCode.startsWith('Z_')) {
      return problem('body_malformed', {
        detail: 'The body does not decode as its Content-Encoding says.',
        cause: err,
      });
    }
    const status = typeof e.status === 'number' ? e.status : e.statusCode;
    // Errors from Express and its libraries that carry a 4xx (e.g. a bad %-escape in the path).
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return problem('bad_request', {
        detail:
          'The request could not be read as sent: a %-escape in the path that is not valid percent-encoding, or a part of it this server cannot take.',
        cause: err,
      });
    }
  }
  return problem('internal_error', { cause: err });
}

function bodyErrorDetail(code: ProblemCode): string {
  switch (code) {
    case 'body_malformed':
      return 'The request body could not be parsed as its Content-Type says.';
    case 'body_too_large':
      return 'The request body is larger than this endpoint accepts.';
    default:
      return 'The request body uses a charset or encoding this server does not read.';
  }
}

/**
 * How an error body is spoken: RFC 9457 problem+json, or the same members as `application/json`
 * with RFC 6749 §5.2 `error` and `error_description` always present (the OAuth endpoints).
 */
export type ErrorDialect = 'problem' | 'oauth';

/** Builds the problem body for an error on a request; used by the handler and by the catalog. */
export function problemBody(
  err: HttpError,
  instance: string,
  requestId: string,
  dialect: ErrorDialect = 'problem',
): ProblemBody {
  const def = problemCatalog[err.code];
  const body: ProblemBody = {
    type: `/problems/${err.code}`,
    title: def.title,
    status: err.status,
    ...(err.detail === undefined ? {} : { detail: err.detail }),
    instance,
    code: err.code,
    request_id: requestId,
    remedy: def.remedy,
  };
  for (const [k, v] of Object.entries(err.extensions)) if (!(k in body)) body[k] = v;
  if (dialect === 'oauth') {
    body.error ??= oauthErrorCode(err);
    body.error_description ??= rfc6750Text(err.detail ?? def.title);
  }
  return body;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A URN naming this one answer (RFC 9457 §3.1.5 `instance` identifies the occurrence, not the
 * resource, which the client knows already): `urn:uuid:` + the request id when it is a UUID (the
 * server's own ids are), else + the server-generated explanation id, else a fresh UUID.
 */
export function occurrenceUrn(res: Parameters<RequestHandler>[1]): string {
  const id = [res.locals.requestId, res.locals.explanationId].find(
    (x): x is string => typeof x === 'string' && UUID.test(x),
  );
  return `urn:uuid:${(id ?? randomUUID()).toLowerCase()}`;
}

/**
 * Writes a problem response. The only place in the server that writes an error body. Its
 * `instance` is this occurrence: the `/explain/{id}` URI where it is explained, or when it is
 * not (the address spent its explanations) a `urn:uuid:` of the request.
 */
export function sendProblem(
  res: Parameters<RequestHandler>[1],
  err: HttpError,
  dialect: ErrorDialect = 'problem',
): void {
  const requestId = String(res.locals.requestId ?? '');
  res.locals.problemCode = err.code;
  const explanation = explanationOf(res);
  const instance = explanation ?? occurrenceUrn(res);
  res.status(err.status);
  for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader(
    'Content-Type',
    dialect === 'oauth' ? OAUTH_ERROR_CONTENT_TYPE : PROBLEM_CONTENT_TYPE,
  );
  const body = problemBody(err, instance, requestId, dialect);
  if (explanation !== undefined && !('explanation' in body)) body.explanation = explanation;
  res.end(JSON.stringify(body));
}

/** The response header naming the id of a refusal's explanation: GET /explain/{id}. */
export const EXPLANATION_ID_HEADER = 'X-Explanation-Id';

/**
 * Where the explanation of this refusal will be, if one will be kept (middleware/
 * explain-recorder.ts decides, by the client address's budget): sets the X-Explanation-Id
 * header and returns the `/explain/{id}` path for a problem body's `explanation` member.
 */
function explanationOf(res: Parameters<RequestHandler>[1]): string | undefined {
  const id = res.locals.claimExplanation?.();
  if (id === undefined) return undefined;
  res.setHeader(EXPLANATION_ID_HEADER, id);
  return `/explain/${id}`;
}

/** The error handler registered last: every error on every route ends here. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  const storeFailures = storeFailureLog(logger);
  return function problemHandlerMiddleware(err, req, res, _next) {
    if (res.headersSent) {
      lateError(err, res, logger);
      return;
    }
    const httpError = toHttpError(err);
    // An outage fails every request the same way: counted, one line a second, no stack.
    if (err instanceof StoreUnavailableError) storeFailures.note(httpError.code, err);
    // A deliberate 503 (an instance draining) says all in its access line; other 5xx are
    // failures worth their stack.
    else if (httpError.status >= 500 && !(err instanceof HttpError && err.status === 503)) {
      logger.error(
        { err, requestId: res.locals.requestId, code: httpError.code },
        'request failed',
      );
    }
    res.locals.problemDetail = httpError.detail;
    const path = req.originalUrl.split('?')[0] ?? '/';
    if (isOpenAiPath(path)) sendOpenAiError(res, httpError);
    else sendProblem(res, httpError, isOAuthPath(path) ? 'oauth' : 'problem');
  };
}

/**
 * An error after the answer's headers went out, e.g. a session write that failed behind a
 * complete response. Logged here as one line, not by Express (a console stack trace). A
 * complete answer keeps its keep-alive connection: closing it over a failure the client never
 * saw only costs it a reconnect. An answer cut short is closed, so that no client takes a
 * partial body for a whole one.
 */
function lateError(err: unknown, res: Parameters<RequestHandler>[1], logger: Logger): void {
  const requestId = res.locals.requestId;
  if (err instanceof StoreUnavailableError) storeFailureLog(logger).note('store_unavailable', err);
  else logger.error({ err, requestId }, 'error after the response was sent');
  if (!res.writableEnded) res.destroy();
}

// --- The OAuth dialect (/auth/token, /auth/revoke, /auth/introspect) ---------------------------

/** The endpoints OAuth client libraries call; Express matches them case-insensitively, `/` or not. */
const OAUTH_PATH = /^\/auth\/(?:token|revoke|introspect)\/?$/i;

/**
 * Whether errors on a path are answered as `application/json` (RFC 6749 §5.2): oauth4webapi and
 * openid-client refuse any other media type and would never read `error`. The body keeps every
 * problem member; only the media type changes (DESIGN.md).
 */
export function isOAuthPath(path: string): boolean {
  return OAUTH_PATH.test(path);
}

export const OAUTH_ERROR_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * The RFC 6749 §5.2 `error` of a problem that names none itself (oauthError in src/issuer.ts
 * names the OAuth ones): so that an OAuth library reads every refusal of these endpoints, a 415
 * or a 503 included. 401 is a client that failed to authenticate; 429 the `slow_down` of RFC
 * 8628 §3.5; 503 and 500 the `temporarily_unavailable` and `server_error` of RFC 6749 §4.1.2.1;
 * any other 4xx a request that is not as the endpoint reads it.
 */
export function oauthErrorCode(err: HttpError): string {
  const named = err.extensions.error;
  if (typeof named === 'string') return named;
  if (err.status === 401) return 'invalid_client';
  if (err.status === 429) return 'slow_down';
  if (err.status === 503) return 'temporarily_unavailable';
  if (err.status >= 500) return 'server_error';
  return 'invalid_request';
}

// --- The OpenAI-compatible envelope (/v1/*) ----------------------------------------------------

/** Express matches routes case-insensitively, so `/V1/models` is the same API and envelope. */
const OPENAI_PATH = /^\/v1(?:\/|$)/i;

/** Whether errors on a path are written in OpenAI's envelope instead of problem+json (DESIGN.md). */
export function isOpenAiPath(path: string): boolean {
  return OPENAI_PATH.test(path);
}

export const OPENAI_ERROR_CONTENT_TYPE = 'application/json; charset=utf-8';

/** OpenAI's error body, which its SDKs turn into `APIError` (`message`, `type`, `param`, `code`). */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** The 400s of a key presented wrongly (a broken, repeated or doubled Authorization). */
const BROKEN_AUTHORIZATION: ReadonlySet<ProblemCode> = new Set<ProblemCode>([
  'authorization_malformed',
  'authorization_repeated',
  'token_multiple_methods',
]);

/**
 * Our problem code as an OpenAI `code`: every refused credential is `invalid_api_key` and an
 * unknown path `unknown_url`, as OpenAI answers; anything OpenAI has no word for keeps ours.
 */
export function openAiErrorCode(code: ProblemCode): string {
  if (problemCatalog[code].status === 401 || BROKEN_AUTHORIZATION.has(code)) {
    return 'invalid_api_key';
  }
  if (code === 'not_found') return 'unknown_url';
  return code;
}

/** 401s where no key was judged (none came where it is read): the detail says what to do. */
const KEY_NOT_JUDGED: ReadonlySet<ProblemCode> = new Set<ProblemCode>([
  'token_missing',
  'auth_scheme_unsupported',
  'token_in_query_refused',
  'token_in_body_refused',
]);

/**
 * Builds the envelope. The message ends with `(request id: <id>)`, as in the article's
 * `Invalid Token (request id: …)`, because it is often the only part of a response a client
 * logs. Refused credentials all read "Invalid Token": the reason is in the WWW-Authenticate
 * error_description and in our log line, not in a body an attacker probing keys would read.
 */
export function openAiErrorBody(err: HttpError, requestId: string): OpenAiErrorBody {
  const refused = err.status === 401 && !KEY_NOT_JUDGED.has(err.code);
  const text = refused ? 'Invalid Token' : (err.detail ?? problemCatalog[err.code].title);
  const param = err.extensions.param;
  return {
    error: {
      message: `${text} (request id: ${requestId})`,
      type: err.status >= 500 ? 'server_error' : 'invalid_request_error',
      param: typeof param === 'string' ? param : null,
      code: openAiErrorCode(err.code),
    },
  };
}

/** Writes an error on `/v1/*`: the same status, headers and log fields as a problem, OpenAI's body. */
function sendOpenAiError(res: Parameters<RequestHandler>[1], err: HttpError): void {
  const requestId = String(res.locals.requestId ?? '');
  res.locals.problemCode = err.code;
  // OpenAI's envelope has no room for more members: the header alone names the explanation.
  explanationOf(res);
  res.status(err.status);
  for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', OPENAI_ERROR_CONTENT_TYPE);
  res.end(JSON.stringify(openAiErrorBody(err, requestId)));
}

/** A problem+json 404 for anything no route claimed. */
export const notFound: RequestHandler = function notFoundMiddleware(req, _res, next) {
  next(problem('not_found', { detail: `No route serves ${req.method} ${req.path}.` }));
};

/**
 * The handler for a known path asked with a method it does not serve: 405 with `Allow`
 * (RFC 9110 §15.5.6), and a plain 204 answer to OPTIONS naming the methods.
 */
export function methodNotAllowed(...methods: string[]): RequestHandler {
  const allow = [...new Set([...methods, ...(methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS'])]
    .map((m) => m.toUpperCase())
    .join(', ');
  return function methodNotAllowedMiddleware(req, res, next) {
    if (req.method === 'OPTIONS') {
      res.setHeader('Allow', allow);
      res.status(204).end();
      return;
    }
    next(
      problem('method_not_allowed', {
        detail: `${req.method} is not served here; this resource allows ${allow}.`,
        headers: { Allow: allow },
      }),
    );
  };
}
