import express, { type Request, type Response } from 'express';
import { HEADER_CHECKS, ONE_AUTHORIZATION_FIELD, TOKEN_IN_HEADER_ONLY } from '../teaching/explain';
import { problem, type HttpError } from '../http/problems';
import type { ProblemCode } from '../scenarios/catalog';
import { bearerChallenges } from './challenges';
import { readScheme } from './scheme';

/**
 * The Bearer scheme (RFC 6750) as every Bearer resource here reads it: the Authorization parser,
 * how a request presents its token, and the refusal of each way it can be presented wrongly.
 */

/** What an Authorization header holds, as far as a Bearer resource cares. */
export type ParsedBearer =
  | { kind: 'none' }
  | { kind: 'other'; scheme: string }
  | { kind: 'malformed'; reason: string }
  | { kind: 'bearer'; token: string };

/** RFC 6750 §2.1: `Bearer` 1*SP b64token, b64token = 1*( ALPHA / DIGIT / "-._~+/" ) *"=" */
const BEARER_CREDENTIALS = /^ +([A-Za-z0-9\-._~+/]+=*)$/;

/** RFC 6750 §2.1 b64token: what a credential must look like to travel as `Bearer <token>`. */
export const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Classifies an Authorization header value. Never throws, whatever the input. */
export function parseBearer(header: string | undefined): ParsedBearer {
  const read = readScheme(header, 'Bearer');
  if (read.kind !== 'credentials') return read;
  const { rest } = read;
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
  | ParsedBearer
  | { kind: 'repeated'; fields: number }
  | { kind: 'multiple'; param: string }
  | { kind: 'query' }
  | { kind: 'query_key'; param: string }
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

/**
 * The query parameters that carry a credential: RFC 6750 §2.3's access_token, and the names APIs
 * take keys under (`?api_key=`, `?apikey=`, `?api-key=`), whatever their case. `key` alone is no
 * credential here: /api/v1/flaky names its counters with it.
 */
export const QUERY_KEY_NAMES: ReadonlySet<string> = new Set(['api_key', 'apikey', 'api-key']);

/** The first credential the query carries, by parameter name as sent (decoded), or undefined. */
export function queryCredential(url: string): string | undefined {
  const q = url.indexOf('?');
  if (q === -1) return undefined;
  for (const name of new URLSearchParams(url.slice(q + 1)).keys()) {
    const lower = name.toLowerCase();
    if (name === 'access_token' || QUERY_KEY_NAMES.has(lower)) return name;
  }
  return undefined;
}

/**
 * Reads how a request presents its credentials, its body aside. On the usual path, one header
 * and no query, this is a scan of the raw header names and one indexOf.
 */
function presentationWithoutBody(req: Request): Presentation {
  const fields = authorizationFields(req.rawHeaders);
  if (fields > 1) return { kind: 'repeated', fields };
  const parsed = parseBearer(req.headers.authorization);
  if (parsed.kind === 'malformed') return parsed;
  const param = queryCredential(req.originalUrl);
  if (param === undefined) return parsed;
  if (parsed.kind === 'bearer') return { kind: 'multiple', param };
  return param === 'access_token' ? { kind: 'query' } : { kind: 'query_key', param };
}

const formBody = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 32 });

/**
 * Whether a form body carries access_token (RFC 6750 §2.2: application/x-www-form-urlencoded).
 * Asked only of a request with no Authorization header, on its way to a refusal, so a request
 * with a header keeps its body for the route. A body that cannot be read (over 8 KiB, another
 * charset) shows no token: the answer stays the 401 it was going to be, token_missing, and these
 * routes answer no status they did not before.
 */
async function formBodyHasToken(req: Request, res: Response): Promise<boolean> {
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

/** How a request presents its credentials to a strict Bearer resource, a form body included. */
export async function presentation(req: Request, res: Response): Promise<Presentation> {
  const p = presentationWithoutBody(req);
  return p.kind === 'none' && (await formBodyHasToken(req, res)) ? { kind: 'body' } : p;
}

/**
 * The same, when it is known without reading the body, which is all but always: undefined only
 * for a request with no token that sends a form (it may carry access_token), which `presentation`
 * reads. A guard that has the answer at once refuses without a promise between.
 */
export function presentationAtOnce(req: Request): Presentation | undefined {
  const p = presentationWithoutBody(req);
  return p.kind === 'none' && req.is('application/x-www-form-urlencoded') ? undefined : p;
}

/** A presentation a Bearer resource refuses before judging a token: what it answers. */
export interface BearerRefusal {
  kind: 'refused';
  code: ProblemCode;
  detail: string;
  challenge: string;
  /** The check that failed, for /explain (src/teaching/explain.ts PRESENTATION_CHECKS). */
  check: string;
  /** What the request said that the trace may show (the scheme it used). */
  facts?: Record<string, string>;
}

/** What a resource says to a request with no token, or with another scheme, in its own words. */
export interface BearerWords {
  none: string;
  other: (scheme: string) => string;
}

const STRICT_WORDS: BearerWords = {
  none: 'Send an access token as "Authorization: Bearer <token>".',
  other: (scheme) => `This resource accepts the Bearer scheme, not ${scheme}.`,
};

/**
 * The same words where another scheme's challenge is sent beside Bearer's (DPoP on /api/v1/*,
 * RFC 9449 §7.2): the detail names both schemes, as the challenges do.
 */
function wordsBeside(alongside: string): BearerWords {
  const scheme = /^\S+/.exec(alongside)![0];
  const how =
    scheme === 'DPoP'
      ? '"Authorization: DPoP <token>" with a DPoP proof (RFC 9449)'
      : `"Authorization: ${scheme} …"`;
  return {
    none: `Send an access token as "Authorization: Bearer <token>", or a ${scheme}-bound one as ${how}.`,
    other: (other) => `This resource accepts the Bearer and ${scheme} schemes, not ${other}.`,
  };
}

/**
 * The refusals of how a token was presented, with their challenges built once: the token, or
 * what the resource answers instead. RFC 6750 §3.1 decides the status: a broken header, a
 * repeated field and a token sent two ways are broken requests (400 invalid_request: "uses more
 * than one method"); no token, another scheme, or a token only where this resource does not look
 * ("an unsupported authentication method") are no credentials to it (401, no error), each with a
 * code of its own that says where the token must go. `alongside`: a challenge sent beside each
 * Bearer one (src/auth/challenges.ts bearerChallenges).
 */
export function bearerRefusals(
  resourceMetadata?: string,
  givenWords?: BearerWords,
  alongside?: string,
): (p: Presentation) => BearerRefusal | { kind: 'bearer'; token: string } {
  const { noCredentials, invalidRequest } = bearerChallenges(resourceMetadata, alongside);
  const words = givenWords ?? (alongside === undefined ? STRICT_WORDS : wordsBeside(alongside));
  const refused = (
    code: ProblemCode,
    detail: string,
    challenge: string,
    check: string,
    facts?: Record<string, string>,
  ): BearerRefusal => ({ kind: 'refused', code, detail, challenge, check, facts });
  return function judgePresentation(p) {
    switch (p.kind) {
      case 'bearer':
        return p;
      case 'none':
        return refused('token_missing', words.none, noCredentials, HEADER_CHECKS[0]);
      case 'other':
        return refused(
          'auth_scheme_unsupported',
          words.other(p.scheme),
          noCredentials,
          HEADER_CHECKS[1],
          { scheme: p.scheme },
        );
      case 'malformed':
        return refused('authorization_malformed', p.reason, invalidRequest(), HEADER_CHECKS[2]);
      case 'repeated':
        return refused(
          'authorization_repeated',
          `The request has ${p.fields} Authorization fields; it may have one (RFC 9110 §5.3), holding one set of credentials.`,
          invalidRequest('authorization_repeated'),
          ONE_AUTHORIZATION_FIELD,
        );
      case 'multiple':
        return refused(
          'token_multiple_methods',
          `A token came in the Authorization header and another as the ${p.param} query parameter; send one token, one way: in the header (RFC 6750 §3.1).`,
          invalidRequest('token_multiple_methods'),
          TOKEN_IN_HEADER_ONLY,
        );
      case 'query':
        return refused(
          'token_in_query_refused',
          'This resource takes the token in the Authorization header only, not as the access_token query parameter (RFC 6750 §2.3): send "Authorization: Bearer <token>".',
          noCredentials,
          TOKEN_IN_HEADER_ONLY,
        );
      case 'query_key':
        return refused(
          'api_key_in_query_refused',
          `This resource takes the key in the Authorization header only, not as the ${p.param} query parameter: URLs are logged. Send "Authorization: Bearer <key>", and replace the key, which may now sit in logs.`,
          noCredentials,
          TOKEN_IN_HEADER_ONLY,
          { param: p.param },
        );
      case 'body':
        return refused(
          'token_in_body_refused',
          'This resource takes the token in the Authorization header only, not as access_token in a form body (RFC 6750 §2.2): send "Authorization: Bearer <token>".',
          noCredentials,
          TOKEN_IN_HEADER_ONLY,
        );
    }
  };
}

/** The error a refusal is answered with: its code and detail, and its challenge. */
export function refusalError(r: BearerRefusal): HttpError {
  return problem(r.code, { detail: r.detail, headers: { 'WWW-Authenticate': r.challenge } });
}
