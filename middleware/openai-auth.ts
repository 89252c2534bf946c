import type { NextFunction, RequestHandler, Response } from 'express';
import {
  B64TOKEN,
  bearerRefusals,
  presentation,
  presentationAtOnce,
  refusalError,
  type Presentation,
} from '../src/auth/bearer';
import { bearerChallenges } from '../src/auth/challenges';
import { secretsEqual, sha256 } from '../src/auth/compare';
import { bearerTrace, PRESENTATION_CHECKS } from '../src/teaching/explain';
import { problem } from '../src/http/problems';
import { ACCESS_CHECKS, JWS_CHECKS, type Verdict } from '../src/tokens/verify';

export interface OpenAiAuthOptions {
  /** Verifies an access token (src/tokens/verify.ts `createTokenVerifier`). */
  verify: (token: string) => Promise<Verdict>;
  /** The API key that opens `/v1/*` besides access tokens (config.demo.openaiKey). */
  apiKey: string;
  /** RFC 9728 protected resource metadata URL, named in every challenge when set. */
  resourceMetadata?: string;
}

/** For /explain: a key that is not the API key must be an access token, judged as on /api/v1/data. */
const GUARD = 'API key or Bearer access token (/v1, OpenAI-compatible)';
const NOT_THE_KEY = 'the API key, or shaped like a JWT';
const CHECKS = [...PRESENTATION_CHECKS, NOT_THE_KEY, ...JWS_CHECKS, ...ACCESS_CHECKS];
const trace = (failed: string | undefined, evidence = {}) =>
  bearerTrace(failed, evidence, GUARD, CHECKS);

/** OpenAI's own wording, so clients' error messages read as they would against the real API. */
const OPENAI_WORDS = {
  none: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
  other: (scheme: string) =>
    `This API takes the key as "Authorization: Bearer YOUR_KEY", not with the ${scheme} scheme.`,
};

/**
 * Guards the OpenAI-compatible API: `Authorization: Bearer <key>` where the key is the configured
 * API key or an access token this server issued. Refusals are ordinary problems; the error
 * handler writes them in OpenAI's envelope because the path is under `/v1/`.
 */
export function openaiAuth(options: OpenAiAuthOptions): RequestHandler {
  if (typeof options?.verify !== 'function') {
    throw new TypeError('openaiAuth: verify must be a function');
  }
  if (typeof options.apiKey !== 'string' || !B64TOKEN.test(options.apiKey)) {
    // DEMO_OPENAI_KEY's schema allows more than a Bearer credential can carry; say which variable.
    throw new TypeError(
      'openaiAuth: apiKey (DEMO_OPENAI_KEY) must be an RFC 6750 b64token: letters, digits, -._~+/ and trailing =',
    );
  }
  const keyDigest = sha256(options.apiKey);
  const { resourceMetadata } = options;
  const { invalidToken: challengeFor } = bearerChallenges(resourceMetadata);
  // The same reading of how the key was presented as on /api/v1/data (middleware/bearer-auth.ts).
  const judge = bearerRefusals(resourceMetadata, OPENAI_WORDS);

  /**
   * Lets the API key through, or judges a token. Refusals go to next(), never thrown: see
   * middleware/bearer-auth.ts (a synchronous throw costs V8 a message with its source position).
   */
  const judgePresented = (p: Presentation, res: Response, next: NextFunction) => {
    const judged = judge(p);
    if (judged.kind === 'refused') {
      res.locals.trace = trace(judged.check, { facts: judged.facts });
      return next(refusalError(judged));
    }
    const { token } = judged;
    if (secretsEqual(token, keyDigest)) {
      next();
      return undefined;
    }
    // Not the key, and not shaped like a JWT: a wrong key, not a broken token.
    if (token.split('.').length !== 3) {
      res.locals.trace = trace(NOT_THE_KEY);
      return next(
        problem('api_key_invalid', {
          detail: 'The key is neither the API key nor an access token issued by this server.',
          headers: { 'WWW-Authenticate': challengeFor('api_key_invalid') },
        }),
      );
    }
    return judgeToken(token, res, next);
  };

  const judgeToken = async (token: string, res: Response, next: NextFunction) => {
    const verdict = await options.verify(token);
    if (!verdict.ok) {
      res.locals.trace = () => trace(verdict.check, verdict.evidence);
      return next(
        problem(verdict.code, {
          detail: verdict.detail,
          headers: { 'WWW-Authenticate': challengeFor(verdict.code) },
        }),
      );
    }
    res.locals.auth = { claims: verdict.claims, kid: verdict.kid, kidless: verdict.kidless };
    next();
  };

  // As bearerAuth: what needs no token verified (the key itself, a wrong key, no key) is
  // answered synchronously; only a form body still to read, and a token, take a promise.
  return function openaiAuthMiddleware(req, res, next) {
    const atOnce = presentationAtOnce(req);
    if (atOnce !== undefined) return judgePresented(atOnce, res, next);
    return presentation(req, res).then((p) => judgePresented(p, res, next));
  };
}
