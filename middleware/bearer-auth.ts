import express, { type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import {
  bearerTrace,
  HEADER_CHECKS,
  ONE_AUTHORIZATION_FIELD,
  TOKEN_IN_HEADER_ONLY,
} from '../src/explain';
import { bearerChallenge, bearerChallenges, problem } from '../src/problems';
import { problemCatalog, type ProblemCode } from '../src/scenarios/catalog';
import { SPECIMEN_JTI_PREFIX } from '../src/specimens';
import type { Store } from '../src/store';
import type { Verdict } from '../src/tokens';

/** What an Authorization header holds, as far as a Bearer resource cares. */
export type ParsedAuthorization =
  | { kind: 'none' }
  | { kind: 'other'; scheme: string }
  | { kind: 'malformed'; reason: string }
  | { kind: 'bearer'; token: string };

/** RFC 9110 §5.6.2: what an auth-scheme name may be. */
const SCHEME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** RFC 6750 §2.1: `Bearer` 1*SP b64token, b64token = 1*( ALPHA / DIGIT / "-._~+/" ) *"=" */
const BEARER_CREDENTIALS = /^ +([A-Za-z0-9\-._~+/]+=*)$/;

/** Classifies an Authorization header value. Never throws, whatever the input. */
export function parseAuthorization(header: string | undefined): ParsedAuthorization {
  if (header === undefined || header.trim() === '') return { kind: 'none' };
  const scheme = /^\S*/.exec(header)?.[0] ?? '';
  if (scheme.toLowerCase() !== 'bearer') {
    return { kind: 'other', scheme: SCHEME.test(scheme) ? scheme.slice(0, 32) : '(unreadable)' };
  }
  const rest = header.slice(scheme.length);
  if (rest.trim() === '')
    return { kind: 'malformed', reason: 'The Bearer scheme is followed by no token.' };
  const match = BEARER_CREDENTIALS.exec(rest);
  if (!match?.[1]) {
    return {
      kind: 'malformed',
      reason: /\S\s+\S/.test(rest.trim())
        ? 'More than one token follows the Bearer scheme.'
        : 'The Bearer token must follow one space and hold only b64token characters (RFC 6750 §2.1).',
    };
  }
  return { kind: 'bearer', token: match[1] };
}

/**
 * How a request presents its credentials to a strict Bearer resource: the Authorization header
 * as read above, or one of the ways this resource refuses before reading it — the field sent more
 * than once, or an access_token in the query (RFC 6750 §2.3) or a form body (§2.2), methods this
 * resource does not support, alone or beside the header.
 */
export type Presentation =
  | ParsedAuthorization
  | { kind: 'repeated'; fields: number }
  | { kind: 'multiple' }
  | { kind: 'query' }
  | { kind: 'body' };

/** How many Authorization fields a request has: Node keeps the first in req.headers, drops the rest. */
function authorizationFields(raw: readonly string[]): number {
  let fields = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 13 && name.toLowerCase() === 'authorization') fields++;
  }
  return fields;
}

/** Whether the query has an access_token parameter (RFC 6750 §2.3), however it is encoded. */
function queryHasToken(url: string): boolean {
  const q = url.indexOf('?');
  return q !== -1 && new URLSearchParams(url.slice(q + 1)).has('access_token');
}

/**
 * Reads how a request presents its credentials, without its body (see formBodyHasToken). On the
 * usual path, one header and no query, this is a scan of the raw header names and one indexOf.
 */
export function presentation(req: Request): Presentation {
  const fields = authorizationFields(req.rawHeaders);
  if (fields > 1) return { kind: 'repeated', fields };
  const parsed = parseAuthorization(req.headers.authorization);
  if (parsed.kind === 'malformed' || !queryHasToken(req.originalUrl)) return parsed;
  return parsed.kind === 'bearer' ? { kind: 'multiple' } : { kind: 'query' };
}

const formBody = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 32 });

/**
 * Whether a form body carries access_token (RFC 6750 §2.2: application/x-www-form-urlencoded).
 * Asked only of a request with no Authorization header, on its way to a refusal, so a request
 * with a header keeps its body for the route. A body that cannot be read (over 8 KiB, another
 * charset) shows no token: the answer stays the 401 it was going to be, token_missing, and these
 * routes answer no status they did not before.
 */
export async function formBodyHasToken(req: Request, res: Response): Promise<boolean> {
  if (!req.is('application/x-www-form-urlencoded')) return false;
  if (req.body === undefined) {
    const read = await new Promise<boolean>((resolve) => {
      formBody(req, res, (err?: unknown) => resolve(err === undefined));
    });
    if (!read) return false;
  }
  const body: unknown = req.body;
  return typeof body === 'object' && body !== null && Object.hasOwn(body, 'access_token');
}

/** A presentation a strict Bearer resource refuses before reading the token: what it answers. */
export interface PresentationRefusal {
  code: ProblemCode;
  detail: string;
  challenge: string;
  /** The check that failed, for /explain (src/explain.ts PRESENTATION_CHECKS). */
  check: string;
}

/**
 * The refusals of how credentials were presented, with their challenges built once. RFC 6750 §3.1
 * decides the status: a repeated field and a token sent two ways are broken requests (400
 * invalid_request: "uses more than one method"); a token only where this resource does not look
 * is "an unsupported authentication method", so no credentials to it (401, no error), though with
 * a code of its own that says where the token must go.
 */
export function presentationRefusals(
  resourceMetadata?: string,
): (p: Presentation) => PresentationRefusal | undefined {
  const invalidRequest = (code: ProblemCode) =>
    bearerChallenge({
      error: 'invalid_request',
      errorDescription: problemCatalog[code].title,
      resourceMetadata,
    });
  const repeated = invalidRequest('authorization_repeated');
  const multiple = invalidRequest('token_multiple_methods');
  const { noCredentials } = bearerChallenges(resourceMetadata);
  return function refusalOf(p) {
    switch (p.kind) {
      case 'repeated':
        return {
          code: 'authorization_repeated',
          detail: `The request has ${p.fields} Authorization fields; it may have one (RFC 9110 §5.3), holding one set of credentials.`,
          challenge: repeated,
          check: ONE_AUTHORIZATION_FIELD,
        };
      case 'multiple':
        return {
          code: 'token_multiple_methods',
          detail:
            'A token came in the Authorization header and another as the access_token query parameter; send one token, one way: in the header (RFC 6750 §3.1).',
          challenge: multiple,
          check: TOKEN_IN_HEADER_ONLY,
        };
      case 'query':
        return {
          code: 'token_in_query_refused',
          detail:
            'This resource takes the token in the Authorization header only, not as the access_token query parameter (RFC 6750 §2.3): send "Authorization: Bearer <token>".',
          challenge: noCredentials,
          check: TOKEN_IN_HEADER_ONLY,
        };
      case 'body':
        return {
          code: 'token_in_body_refused',
          detail:
            'This resource takes the token in the Authorization header only, not as access_token in a form body (RFC 6750 §2.2): send "Authorization: Bearer <token>".',
          challenge: noCredentials,
          check: TOKEN_IN_HEADER_ONLY,
        };
      default:
        return undefined;
    }
  };
}

export interface BearerAuthOptions {
  /** Verifies a token (src/tokens.ts `createTokenVerifier`). */
  verify: (token: string) => Promise<Verdict>;
  /** RFC 9728 protected resource metadata URL, named in every challenge when set. */
  resourceMetadata?: string;
  /**
   * When set, refusals of tokens this server signed are counted per jti for a minute, and a
   * client that keeps sending the same refused token is told so (RFC 9110 §15.5.2). Forged
   * tokens create no state. The count is best effort: a store that cannot count (down, full)
   * changes nothing in the answer, which is the token's 401 all the same.
   */
  store?: Store;
  /** Told, at debug level, when the refusal count could not be kept. */
  logger?: Logger;
  /** Whose store quota a refusal count is charged to (src/visitors.ts). */
  owner?: (req: Request) => string;
}

/** How many refusals of one token in a minute before the detail says "stop retrying". */
export const REPEAT_THRESHOLD = 3;
const REPEAT_WINDOW_MS = 60_000;

/**
 * Requires a valid bearer access token (RFC 6750), puts the caller in `res.locals.auth`, and
 * refuses everything else with the status, code and challenge the registry documents.
 */
export function bearerAuth(options: BearerAuthOptions): RequestHandler {
  if (typeof options?.verify !== 'function')
    throw new TypeError('bearerAuth: verify must be a function');
  const { resourceMetadata, store, logger } = options;

  /** How often this token was refused in the window, or 0 when the store cannot say. */
  async function countRefusal(req: Request, jti: string, requestId: unknown): Promise<number> {
    if (!store) return 0;
    try {
      return await store.increment(`refused:${jti}`, REPEAT_WINDOW_MS, options.owner?.(req));
    } catch (err) {
      // The refusal is already decided by the token alone; an outage must not make it a 503.
      logger?.debug(
        { requestId, err: err instanceof Error ? err.message : String(err) },
        'refusal not counted',
      );
      return 0;
    }
  }
  const {
    noCredentials,
    invalidRequest,
    invalidToken: challengeFor,
  } = bearerChallenges(resourceMetadata);
  const refusalOf = presentationRefusals(resourceMetadata);

  return async function bearerAuthMiddleware(req, res, next) {
    let parsed = presentation(req);
    if (parsed.kind === 'none' && (await formBodyHasToken(req, res))) parsed = { kind: 'body' };
    const refused = refusalOf(parsed);
    if (refused) {
      res.locals.trace = bearerTrace(refused.check);
      throw problem(refused.code, {
        detail: refused.detail,
        headers: { 'WWW-Authenticate': refused.challenge },
      });
    }
    switch (parsed.kind) {
      case 'none':
        res.locals.trace = bearerTrace(HEADER_CHECKS[0]);
        throw problem('token_missing', {
          detail: 'Send an access token as "Authorization: Bearer <token>".',
          headers: { 'WWW-Authenticate': noCredentials },
        });
      case 'other':
        res.locals.trace = bearerTrace(HEADER_CHECKS[1], { facts: { scheme: parsed.scheme } });
        throw problem('auth_scheme_unsupported', {
          detail: `This resource accepts the Bearer scheme, not ${parsed.scheme}.`,
          headers: { 'WWW-Authenticate': noCredentials },
        });
      case 'malformed':
        res.locals.trace = bearerTrace(HEADER_CHECKS[2]);
        throw problem('authorization_malformed', {
          detail: parsed.reason,
          headers: { 'WWW-Authenticate': invalidRequest },
        });
      case 'bearer': {
        const verdict = await options.verify(parsed.token);
        if (!verdict.ok) {
          const refusals =
            verdict.jti && !verdict.jti.startsWith(SPECIMEN_JTI_PREFIX)
              ? await countRefusal(req, verdict.jti, res.locals.requestId)
              : 0;
          const repeated = refusals >= REPEAT_THRESHOLD;
          res.locals.trace = bearerTrace(verdict.check, verdict.evidence);
          throw problem(verdict.code, {
            detail: repeated
              ? `${verdict.detail} This same token has been refused ${refusals} times in the last minute: retrying it will not help; get a new token.`
              : verdict.detail,
            headers: { 'WWW-Authenticate': challengeFor(verdict.code) },
            extensions: repeated ? { refused_count: refusals } : {},
          });
        }
        res.locals.auth = { claims: verdict.claims, kid: verdict.kid, kidless: verdict.kidless };
        next();
      }
    }
  };
}
