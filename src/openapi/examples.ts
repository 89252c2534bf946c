/**
 * The examples the document shows (problem bodies as this server writes them, and scenarios); the
 * problem pages (routes/problem-pages.ts) show the same.
 */
import { isJsonErrorPath, openAiErrorBody, pathOf, problem, problemBody } from '../http/problems';
import { problemCatalog, type ProblemCode } from '../scenarios/catalog';
import type { Scenario } from '../scenarios';
import { ref } from './schemas';
import type { Example } from './types';

export const EXAMPLE_REQUEST_ID = '9f4c2c1e-4b7a-4d0e-8a55-3c1f0e2d7b61';
const isOpenAi = (path: string) => path.startsWith('/v1/');

/** A problem body as this server writes it on `path`, for an example. */
export function problemExample(code: ProblemCode, path: string): unknown {
  const err = problem(code);
  if (isOpenAi(path)) return openAiErrorBody(err, EXAMPLE_REQUEST_ID);
  // `instance` names the occurrence: here, as in most answers, where it is explained.
  const explanation = `/explain/${EXAMPLE_REQUEST_ID}`;
  const body = problemBody(
    err,
    explanation,
    EXAMPLE_REQUEST_ID,
    isJsonErrorPath(path) ? 'oauth' : 'problem',
  );
  return { ...body, explanation };
}

/** OpenAI's envelope and the OAuth endpoints' errors (RFC 6749 §5.2) are plain JSON. */
export const errorMedia = (path: string) =>
  isOpenAi(path) || isJsonErrorPath(path) ? 'application/json' : 'application/problem+json';
/** The schema of an error body on `path`: OpenAI's envelope on /v1/*, else a problem. */
export const errorSchema = (path: string) => (isOpenAi(path) ? ref('OpenAiError') : ref('Problem'));

/** A scenario as an example of its route's answer, with its explanation and challenge. */
export function scenarioExample(s: Scenario): Example {
  const code = s.expect.code as ProblemCode;
  const body = problemExample(code, pathOf(s.trigger.path));
  const challenge =
    s.expect.challenge === null ? '' : `\n\nWWW-Authenticate: \`${s.expect.challenge}\``;
  return {
    summary: `${code}: ${s.title}`,
    description: `${s.explanation}${challenge}\n\nScenario \`${s.id}\`: [run it in the playground](/playground#${s.id}).`,
    value:
      s.expect.status === problemCatalog[code].status
        ? body
        : { ...(body as object), status: s.expect.status },
  };
}

/** Codes with their titles, for a response's description. */
export function codeList(codes: string[]): string {
  return codes
    .map((c) => (c in problemCatalog ? `\`${c}\` (${problemCatalog[c as ProblemCode].title})` : c))
    .join(', ');
}
