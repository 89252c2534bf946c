import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { STATUS_CODES } from 'node:http';
import type { Logger } from 'pino';
import { basicChallenge, rfc6750Text } from '../auth/challenges';
import { storeFailureLog } from './outage-log';
import { problemCatalog, type ProblemCode } from '../scenarios/catalog';

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
  declare name: string;
  readonly status: number;
  readonly code: ProblemCode;
  readonly detail: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(code: ProblemCode, options: ProblemOptions = {}) {
    const status = problemCatalog[code].status;
    // A refusal is an answer, not a failure: its code says where it came from, the writer logs
    // stacks of 5xx only, and capturing a stack on every refusal was a hot spot (bench/RESULTS.md).
    const stackTraceLimit = Error.stackTraceLimit;
    if (status < 500) Error.stackTraceLimit = 0;
    // An own `cause` only when there is one (Error's options install it even when undefined).
    super(
      options.detail ?? problemCatalog[code].title,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    Error.stackTraceLimit = stackTraceLimit;
    this.code = code;
    this.status = status;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }
}

// On the prototype, as Error's own name is: not one more property on every refusal.
HttpError.prototype.name = 'HttpError';

/** Shorthand for `new HttpError(code, options)`, to read well after `throw` and `next(...)`. */
export function problem(code: ProblemCode, options?: ProblemOptions): HttpError {
  return new HttpError(code, options);
}

/**
 * The answer of a fixture asked for an error status (httpbin's /status/:code): the one
 * `status_requested` problem, with the status asked for (RFC 9457 §3.1.2: `status` equals the
 * HTTP status). Any other error's status comes from the catalog, one per code, which keeps every
 * other answer honest; two hundred catalog entries differing only in their number would bury the
 * real ones. Nothing was refused, so the writer neither logs nor explains it as a refusal.
 */
export class RequestedStatusError extends HttpError {
  override readonly status: number;

  constructor(status: number, detail: string) {
    super('status_requested', { detail });
    this.status = status;
  }
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

// --- From anything thrown to an HttpError ----------------------------------------------------

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

/** The store's failures, most specific first: their problem, detail and Retry-After. */
const STORE_ERRORS: {
  type: typeof StoreUnavailableError;
  code: ProblemCode;
  detail: string;
  retryAfter: string;
}[] = [
  {
    type: StoreFullError,
    code: 'store_full',
    detail:
      'The server holds as much state as its operator allows (every visitor, not only you). Your credentials were not judged; try again later.',
    retryAfter: '60',
  },
  {
    type: StoreUnavailableError,
    code: 'store_unavailable',
    detail: 'The state store did not answer. Your credentials were not judged; try again shortly.',
    retryAfter: '2',
  },
];

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
  const store = STORE_ERRORS.find((e) => err instanceof e.type);
  if (store) {
    const { code, detail, retryAfter } = store;
    return problem(code, { detail, headers: { 'Retry-After': retryAfter }, cause: err });
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

// --- The bodies --------------------------------------------------------------------------------

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

/**
 * How an error body is spoken: RFC 9457 problem+json; the same members as `application/json`
 * with RFC 6749 §5.2 `error` and `error_description` always present (the OAuth endpoints); or
 * OpenAI's envelope (`/v1/*`).
 */
export type ErrorDialect = 'problem' | 'oauth' | 'openai';

/** Builds the problem body for an error on a request; used by the writer and by the catalog. */
export function problemBody(
  err: HttpError,
  instance: string,
  requestId: string,
  dialect: Exclude<ErrorDialect, 'openai'> = 'problem',
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
  const { requestId, explanationId } = res.locals;
  const id = isUuid(requestId) ? requestId : isUuid(explanationId) ? explanationId : randomUUID();
  return `urn:uuid:${id.toLowerCase()}`;
}

const isUuid = (x: unknown): x is string => typeof x === 'string' && UUID.test(x);

// --- The one writer of error bodies ----------------------------------------------------------

/** Each dialect's media type. */
const CONTENT_TYPES: Record<ErrorDialect, string> = {
  problem: PROBLEM_CONTENT_TYPE,
  oauth: 'application/json; charset=utf-8',
  openai: 'application/json; charset=utf-8',
};
export const OAUTH_ERROR_CONTENT_TYPE = CONTENT_TYPES.oauth;
export const OPENAI_ERROR_CONTENT_TYPE = CONTENT_TYPES.openai;

/** The dialect errors on a path are written in: a property of the route, never of the error. */
export function dialectOf(path: string): ErrorDialect {
  if (isOpenAiPath(path)) return 'openai';
  return isJsonErrorPath(path) ? 'oauth' : 'problem';
}

/**
 * Writes an error response: the only place in the server that writes an error body. A refusal's
 * `instance` is this occurrence: the `/explain/{id}` URI where it is explained, or when it is not
 * (the address spent its explanations) a `urn:uuid:` of the request. OpenAI's envelope has no
 * room for more members: there the header alone names the explanation.
 */
export function sendError(
  res: Parameters<RequestHandler>[1],
  err: HttpError,
  dialect: ErrorDialect = 'problem',
): void {
  const requestId = String(res.locals.requestId ?? '');
  const refusal = !(err instanceof RequestedStatusError);
  // A refusal is logged (its code) and explained; a fixture's answer is neither.
  if (refusal) res.locals.problemCode = err.code;
  const explanation = refusal ? explanationOf(res) : undefined;
  res.status(err.status);
  const { headers } = err;
  for (const name in headers) if (Object.hasOwn(headers, name)) res.setHeader(name, headers[name]!);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', CONTENT_TYPES[dialect]);
  if (dialect === 'openai') {
    res.end(openAiErrorJson(err, requestId));
    return;
  }
  const instance = explanation ?? occurrenceUrn(res);
  if (dialect === 'problem' && plainExtensions(err.extensions)) {
    const wire = problemWire(err, instance, requestId, explanation);
    res.end(wire.body, wire.encoding);
    return;
  }
  const body = problemBody(err, instance, requestId, dialect);
  if (explanation !== undefined && !('explanation' in body)) body.explanation = explanation;
  res.end(JSON.stringify(body));
}

/** The members problemBody itself writes: an extension of the same name gives way to them. */
const BODY_MEMBERS = new Set([
  'type',
  'title',
  'status',
  'detail',
  'instance',
  'code',
  'request_id',
  'remedy',
]);

/**
 * Whether problemJson can write these extensions as JSON.stringify would: own names that are no
 * array index (JSON puts those first) and no Object.prototype member, each a string, a finite
 * number or a boolean. Anything else takes the generic path.
 */
export function plainExtensions(extensions: Readonly<Record<string, unknown>>): boolean {
  for (const name in extensions) {
    if (!Object.hasOwn(extensions, name)) continue;
    const value = extensions[name];
    // problemBody skips names an object already has (toString, __proto__, ...).
    if (name in Object.prototype || /^\d+$/.test(name)) return false;
    const type = typeof value;
    if (type === 'number' ? !Number.isFinite(value) : type !== 'string' && type !== 'boolean') {
      return false;
    }
  }
  return true;
}

/** A code's members that never change, serialized once: see problemJson. */
interface ConstantParts {
  head: string;
  code: string;
  remedy: string;
}
/** Each code's constant parts as text, and as their UTF-8 bytes (a latin1 string): see problemBytes. */
const constantParts = new Map<ProblemCode, { text: ConstantParts; bytes: ConstantParts }>();

function constantPartsOf(code: ProblemCode): { text: ConstantParts; bytes: ConstantParts } {
  let parts = constantParts.get(code);
  if (parts === undefined) {
    const def = problemCatalog[code];
    const text = {
      head: `{"type":${JSON.stringify(`/problems/${code}`)},"title":${JSON.stringify(def.title)},"status":`,
      code: `,"code":${JSON.stringify(code)}`,
      remedy: `,"remedy":${JSON.stringify(def.remedy)}`,
    };
    const utf8 = (part: string) => Buffer.from(part, 'utf8').toString('latin1');
    parts = {
      text,
      bytes: { head: utf8(text.head), code: utf8(text.code), remedy: utf8(text.remedy) },
    };
    constantParts.set(code, parts);
  }
  return parts;
}

/** Anything beyond ASCII, whose UTF-8 is not its latin1. */
const NOT_ASCII = /[\u0080-\uffff]/;

/**
 * Anything but printable ASCII other than `"` and `\`: a string without any is its own JSON
 * text between quotes, and its own UTF-8. One scan of it instead of JSON.stringify's (three to
 * five times slower a character) and a second for ASCII (bench/RESULTS.md, tenth round).
 */
const NOT_PLAIN = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;

/**
 * JSON.stringify(text), without its scan when the text is plain (see NOT_PLAIN); `members.ascii`
 * turns false when the JSON is not ASCII, which only a text that is not plain can make it.
 */
function jsonText(text: string, members?: { ascii: boolean }): string {
  if (!NOT_PLAIN.test(text)) return `"${text}"`;
  const quoted = JSON.stringify(text);
  if (members !== undefined && NOT_ASCII.test(quoted)) members.ascii = false;
  return quoted;
}

/** This answer's own members as JSON, and whether they are all ASCII (see problemWire). */
interface Members {
  detail: string;
  occurrence: string;
  id: string;
  tail: string;
  ascii: boolean;
}

/**
 * The JSON of a problem+json body with plain extensions (see plainExtensions), `problemBody`
 * plus `explanation` byte for byte (test/lean-path.test.ts holds it to that for every code),
 * from each code's constant parts serialized once (its type and title, its code, its remedy:
 * most of the body) and only the members of this answer serialized per request.
 */
export function problemJson(
  err: HttpError,
  instance: string,
  requestId: string,
  explanation?: string,
): string {
  return joined(
    constantPartsOf(err.code).text,
    err,
    answerMembers(err, instance, requestId, explanation),
  );
}

/**
 * The same body as its UTF-8 bytes in a latin1 string, for `res.end(bytes, 'latin1')`; undefined
 * when a member of this answer (a detail, an id) is not ASCII.
 */
export function problemBytes(
  err: HttpError,
  instance: string,
  requestId: string,
  explanation?: string,
): string | undefined {
  const wire = problemWire(err, instance, requestId, explanation);
  return wire.encoding === 'latin1' ? wire.body : undefined;
}

/**
 * The body as sendError writes it. A remedy or a title with a typographic apostrophe makes the
 * whole JSON text a two-byte string, which Node then encodes to UTF-8 character by character as
 * it writes (a 401 token_expired cost 4% more instructions than the same answer with ASCII alone:
 * bench/RESULTS.md, ninth round). So the constant parts are also kept as their UTF-8 bytes, and
 * when this answer's own members are ASCII the body is those bytes, written as latin1; otherwise
 * it is the text.
 */
function problemWire(
  err: HttpError,
  instance: string,
  requestId: string,
  explanation: string | undefined,
): { body: string; encoding: 'latin1' | 'utf8' } {
  const parts = constantPartsOf(err.code);
  const members = answerMembers(err, instance, requestId, explanation);
  return members.ascii
    ? { body: joined(parts.bytes, err, members), encoding: 'latin1' }
    : { body: joined(parts.text, err, members), encoding: 'utf8' };
}

/** This answer's own members, serialized: the detail, the instance, the request id, the rest. */
function answerMembers(
  err: HttpError,
  instance: string,
  requestId: string,
  explanation: string | undefined,
): Members {
  const members: Members = { detail: '', occurrence: '', id: '', tail: '', ascii: true };
  const json = (text: string): string => jsonText(text, members);
  if (err.detail !== undefined) members.detail = `,"detail":${json(err.detail)}`;
  members.occurrence = `,"instance":${json(instance)}`;
  members.id = `,"request_id":${json(requestId)}`;
  let tail = extensionsJson(err, json);
  if (explanation !== undefined && !Object.hasOwn(err.extensions, 'explanation')) {
    tail += `,"explanation":${json(explanation)}`;
  }
  members.tail = `${tail}}`;
  return members;
}

/** The body in problemBody's member order, from a code's constant parts and the answer's own. */
function joined(c: ConstantParts, err: HttpError, m: Members): string {
  return c.head + err.status + m.detail + m.occurrence + c.code + m.id + c.remedy + m.tail;
}

/** The extensions problemBody adds after its own members, as JSON members (see plainExtensions). */
function extensionsJson(err: HttpError, json: (text: string) => string): string {
  let text = '';
  const { extensions } = err;
  for (const name in extensions) {
    if (!Object.hasOwn(extensions, name)) continue;
    if (BODY_MEMBERS.has(name) && (name !== 'detail' || err.detail !== undefined)) continue;
    const value = extensions[name];
    text += `,${json(name)}:${typeof value === 'string' ? json(value) : JSON.stringify(value)}`;
  }
  return text;
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
    // A deliberate 503 (an instance draining) says all in its access line, and a status asked
    // for is no failure; other 5xx are failures worth their stack.
    else if (
      httpError.status >= 500 &&
      !(err instanceof HttpError && err.status === 503) &&
      !(err instanceof RequestedStatusError)
    ) {
      logger.error(
        { err, requestId: res.locals.requestId, code: httpError.code },
        'request failed',
      );
    }
    if (!(httpError instanceof RequestedStatusError)) res.locals.problemDetail = httpError.detail;
    // A request in a run (/runs/{id}/v1/…) is written in the dialect of the path it was served as.
    const path = res.locals.run?.path ?? pathOf(req.originalUrl);
    sendError(res, httpError, dialectOf(path));
  };
}

/** A request target's path: what comes before its query. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
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
 * problem member; only the media type changes.
 */
export function isOAuthPath(path: string): boolean {
  return OAUTH_PATH.test(path);
}

/** GNAP's grant endpoint: its clients read `error` from application/json too (RFC 9635 §3.6). */
const GNAP_GRANT_PATH = /^\/gnap\/grant\/?$/i;

/**
 * Whether errors on a path are written as `application/json` with the problem members: the OAuth
 * endpoints, and GNAP's grant endpoint, whose errors carry GNAP's `error: {code, description}`.
 */
export function isJsonErrorPath(path: string): boolean {
  return OAUTH_PATH.test(path) || GNAP_GRANT_PATH.test(path);
}

/** An OAuth error: the problem body also carries RFC 6749 §5.2 `error` and `error_description`. */
export function oauthError(
  code: ProblemCode,
  error: string,
  detail: string,
  headers?: Record<string, string>,
): HttpError {
  return problem(code, {
    detail,
    headers,
    extensions: { error, error_description: rfc6750Text(detail) },
  });
}

const CLIENT_CHALLENGE = basicChallenge();

/** 401 invalid_client with the Basic challenge: the client must (re)authenticate (RFC 6749 §5.2). */
export function invalidClient(detail: string): HttpError {
  return oauthError('invalid_client', 'invalid_client', detail, {
    'WWW-Authenticate': CLIENT_CHALLENGE,
  });
}

/**
 * The RFC 6749 §5.2 `error` of a problem that names none itself (oauthError names the OAuth
 * ones): so that an OAuth library reads every refusal of these endpoints, a 415 or a 503
 * included. 401 is a client that failed to authenticate; 429 the `slow_down` of RFC 8628 §3.5;
 * 503 and 500 the `temporarily_unavailable` and `server_error` of RFC 6749 §4.1.2.1; any other
 * 4xx a request that is not as the endpoint reads it.
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

/** Whether errors on a path are written in OpenAI's envelope instead of problem+json. */
export function isOpenAiPath(path: string): boolean {
  return OPENAI_PATH.test(path);
}

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
  'api_key_in_query_refused',
  'token_in_body_refused',
]);

/**
 * Builds the envelope. The message ends with `(request id: <id>)`, as in the article's
 * `Invalid Token (request id: …)`, because it is often the only part of a response a client
 * logs. Refused credentials all read "Invalid Token": the reason is in the WWW-Authenticate
 * error_description and in our log line, not in a body an attacker probing keys would read.
 */
export function openAiErrorBody(err: HttpError, requestId: string): OpenAiErrorBody {
  const param = err.extensions.param;
  return {
    error: {
      message: openAiMessage(err, requestId),
      type: err.status >= 500 ? 'server_error' : 'invalid_request_error',
      param: typeof param === 'string' ? param : null,
      code: openAiErrorCode(err.code),
    },
  };
}

/** A code's envelope after its message, serialized once: see openAiErrorJson. */
const openAiTails = new Map<ProblemCode, string>();

/**
 * `JSON.stringify(openAiErrorBody(err, requestId))`, byte for byte (test/lean-path.test.ts holds
 * it to that for every code), with what follows the message (its type, a null param and its
 * code: the same for every answer of a code) serialized once per code. A string `param`
 * extension takes the generic path.
 */
export function openAiErrorJson(err: HttpError, requestId: string): string {
  if (typeof err.extensions.param === 'string' || err.status !== problemCatalog[err.code].status) {
    return JSON.stringify(openAiErrorBody(err, requestId));
  }
  let tail = openAiTails.get(err.code);
  if (tail === undefined) {
    const { type, param, code } = openAiErrorBody(err, '').error;
    tail = `,${JSON.stringify({ type, param, code }).slice(1)}}`;
    openAiTails.set(err.code, tail);
  }
  return `{"error":{"message":${jsonText(openAiMessage(err, requestId))}${tail}`;
}

/** The envelope's message: see openAiErrorBody. */
function openAiMessage(err: HttpError, requestId: string): string {
  const refused = err.status === 401 && !KEY_NOT_JUDGED.has(err.code);
  const text = refused ? 'Invalid Token' : (err.detail ?? problemCatalog[err.code].title);
  return `${text} (request id: ${requestId})`;
}

// --- The routes' own errors --------------------------------------------------------------------

/** The 404 of a path no route serves; a hidden resource answers it word for word. */
export function routeNotFound(req: { method: string; path: string }): HttpError {
  return problem('not_found', { detail: `No route serves ${req.method} ${req.path}.` });
}

/** A problem+json 404 for anything no route claimed. */
export const notFound: RequestHandler = function notFoundMiddleware(req, _res, next) {
  next(routeNotFound(req));
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

/**
 * A problem as raw HTTP/1.1 bytes, for answers written on a socket Express never sees (requests
 * Node cannot parse, src/http/server.ts; CONNECT, src/http/proxy.ts). The request was never read,
 * so no client id can be kept: the id is the server's, named in X-Request-Id and the body, the
 * occurrence in instance. Date as Node writes on every other answer (RFC 9110 §6.6.1), so a
 * client can measure its clock skew from any answer.
 */
export function rawProblem(error: HttpError): string {
  const requestId = randomUUID();
  const body = JSON.stringify(problemBody(error, `urn:uuid:${requestId}`, requestId));
  const headers = Object.entries(error.headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return (
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}\r\n${headers}` +
    `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `X-Request-Id: ${requestId}\r\nDate: ${new Date().toUTCString()}\r\n` +
    `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`
  );
}
