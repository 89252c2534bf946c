/** What the document says of each route: its operation, built from its row and the registry. */
import { problemCatalog, type ProblemCode } from '../scenarios/catalog';
import type { Scenario } from '../scenarios';
import { codeList, errorMedia, errorSchema, problemExample, scenarioExample } from './examples';
import { str } from './schemas';
import { documentedPath } from './table';
import type { Example, RouteDoc, Security } from './types';

/**
 * Where each guard's refusals are shown in the registry: every code a scenario there answers
 * with a 400, 401 or 429 (the header, the credential, the limits) is what the same guard answers
 * on every route it protects, with the store's 503 beside them.
 */
const GUARD_HOMES: Record<Security, { method: string; path: string }[]> = {
  bearer: [{ method: 'GET', path: '/api/v1/data' }],
  dpop: [
    { method: 'GET', path: '/api/v1/data' },
    { method: 'GET', path: '/api/v1/dpop/nonce' },
  ],
  openaiKey: [
    { method: 'GET', path: '/api/v1/data' },
    { method: 'GET', path: '/v1/models' },
  ],
  basic: [{ method: 'GET', path: '/basic-auth/{user}/{passwd}' }],
  digest: [{ method: 'GET', path: '/digest-auth/{qop}/{user}/{passwd}/{algorithm}' }],
  apiKey: [{ method: 'GET', path: '/api-key/{key}' }],
  cookieSession: [{ method: 'POST', path: '/keepalive' }],
  negotiate: [{ method: 'GET', path: '/negotiate/resource' }],
  ntlm: [{ method: 'GET', path: '/ntlm/resource' }],
  oauth1: [{ method: 'GET', path: '/oauth1/resource' }],
  scramSha256: [{ method: 'GET', path: '/scram/resource' }],
  scramSha1: [{ method: 'GET', path: '/scram/resource' }],
  gnap: [{ method: 'GET', path: '/gnap/resource' }],
  mutual: [{ method: 'GET', path: '/mutual/resource' }],
  hoba: [
    { method: 'GET', path: '/hoba/resource' },
    { method: 'POST', path: '/.well-known/hoba/register' },
  ],
  concealed: [{ method: 'GET', path: '/concealed/resource' }],
};

/** The codes a guard answers on every route it protects (see GUARD_HOMES). */
export function guardErrorsFrom(registry: Scenario[]): (security: Security) => ProblemCode[] {
  const cache = new Map<Security, ProblemCode[]>();
  return (security) => {
    const known = cache.get(security);
    if (known) return known;
    const codes = new Set<ProblemCode>(['store_unavailable']);
    for (const home of GUARD_HOMES[security]) {
      for (const s of registry) {
        const { code, status } = s.expect;
        if (
          code !== undefined &&
          code !== 'parameter_invalid' &&
          (status === 400 || status === 401 || status === 429) &&
          s.trigger.method === home.method &&
          documentedPath(s.trigger.path) === home.path
        ) {
          codes.add(code);
        }
      }
    }
    const list = [...codes];
    cache.set(security, list);
    return list;
  };
}

/** The operation of one row of the route table: its parameters, body, security and every answer. */
export function operationFor(
  route: RouteDoc,
  scenarios: Scenario[],
  guardErrors: (security: Security) => ProblemCode[],
): Record<string, unknown> {
  const responses: Record<string, Record<string, unknown>> = {};
  const errors = new Map<number, Map<string, Example>>();
  const addError = (status: number, key: string, example: Example) => {
    if (!errors.has(status)) errors.set(status, new Map());
    errors.get(status)?.set(key, example);
  };

  for (const s of route.success) {
    const content: Record<string, unknown> = {};
    if (s.schema) content[s.type ?? 'application/json'] = { schema: s.schema };
    for (const [type, schema] of Object.entries(s.alternatives ?? {})) content[type] = { schema };
    responses[String(s.status)] = {
      description: s.description,
      headers: {
        'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
        ...Object.fromEntries(
          Object.entries(s.headers ?? {}).map(([name, description]) => [
            name,
            { description, schema: str },
          ]),
        ),
      },
      ...(Object.keys(content).length > 0 ? { content } : {}),
    };
  }
  // What the route's guards answer as on their own routes, what every route can answer (431;
  // a path parameter that is no valid %-encoding, 400), and what this route answers besides.
  const answered = new Set<ProblemCode>([
    ...(route.guardErrors === false ? [] : (route.security ?? []).flat().flatMap(guardErrors)),
    'header_too_large',
    ...(route.path.includes('{') ? (['bad_request'] as const) : []),
    ...(route.errors ?? []),
  ]);
  for (const code of answered) {
    addError(problemCatalog[code].status, code, {
      summary: `${code}: ${problemCatalog[code].title}`,
      value: problemExample(code, route.path),
    });
  }
  // The registry: every scenario whose trigger lands on this route shows its answer here.
  const matching = scenarios.filter(
    (s) =>
      s.trigger.method.toLowerCase() === route.method &&
      documentedPath(s.trigger.path) === route.path,
  );
  for (const s of matching) {
    if (s.expect.code) {
      addError(s.expect.status, s.id, scenarioExample(s));
    } else if (
      !(String(s.expect.status) in responses) &&
      !rangeCovers(responses, s.expect.status)
    ) {
      responses[String(s.expect.status)] = {
        description: s.title,
        headers: { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' } },
      };
    }
  }
  for (const [status, examples] of [...errors].sort(([a], [b]) => a - b)) {
    const codes = [...new Set([...examples.values()].map((e) => e.summary.split(':')[0] ?? ''))];
    const headers: Record<string, unknown> = {
      'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
      'X-Explanation-Id': { $ref: '#/components/headers/X-Explanation-Id' },
    };
    // Every 401 has a challenge but vapid's, whose RFC forbids one (RFC 8292 §3).
    const shown401 = matching.filter((s) => s.expect.status === 401);
    const unchallenged = shown401.length > 0 && shown401.every((s) => s.expect.challenge === null);
    if (status === 401 && !unchallenged)
      headers['WWW-Authenticate'] = { $ref: '#/components/headers/WWW-Authenticate' };
    if (status === 429 || status === 503)
      headers['Retry-After'] = { $ref: '#/components/headers/Retry-After' };
    if (status === 407)
      headers['Proxy-Authenticate'] = { description: 'The proxy’s challenge.', schema: str };
    responses[String(status)] = {
      description: codeList(codes),
      headers,
      content: {
        [errorMedia(route.path)]: {
          schema: errorSchema(route.path),
          examples: Object.fromEntries(examples),
        },
      },
    };
  }

  const param = (name: string) => {
    const p = route.params?.[name];
    return typeof p === 'object' ? p : { description: p ?? name, schema: str };
  };
  const parameters = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({
    name: m[1] as string,
    in: 'path',
    required: true,
    ...param(m[1] as string),
  }));
  for (const name of Object.keys(route.params ?? {})) {
    if (!route.path.includes(`{${name}}`)) {
      parameters.push({ name, in: 'query', required: true, ...param(name) });
    }
  }

  const operation: Record<string, unknown> = {
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    operationId: operationId(route.method, route.path),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.security ? { security: route.security.map(requirement) } : { security: [{}] }),
    ...(route.body
      ? {
          requestBody: {
            required: route.body.required ?? false,
            content: {
              'application/json': { schema: route.body.schema },
              ...(route.body.form
                ? { 'application/x-www-form-urlencoded': { schema: route.body.schema } }
                : {}),
            },
          },
        }
      : {}),
    responses: sortResponses(responses),
  };
  return operation;
}

/**
 * Every path answers OPTIONS (a CORS preflight, or 204 with Allow); it is documented where a
 * scenario shows a preflight, so that the list of operations stays the list of routes.
 */
export function preflightFor(
  path: string,
  item: Record<string, unknown>,
  scenarios: Scenario[],
): Record<string, unknown> | undefined {
  if (
    !scenarios.some(
      (s) => s.trigger.method === 'OPTIONS' && documentedPath(s.trigger.path) === path,
    )
  ) {
    return undefined;
  }
  const responses: Record<string, unknown> = {
    '204': {
      description: 'A CORS preflight answered, or the methods this path serves (Allow).',
      headers: {
        'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
        Allow: { description: 'The methods served.', schema: str },
      },
    },
  };
  const preflights = scenarios.filter(
    (s) =>
      s.trigger.method === 'OPTIONS' && documentedPath(s.trigger.path) === path && s.expect.code,
  );
  for (const s of preflights) {
    const status = String(s.expect.status);
    const example = scenarioExample(s);
    const existing = responses[status] as
      { content?: Record<string, { examples: Record<string, Example> }> } | undefined;
    if (existing?.content) {
      const media = existing.content[errorMedia(path)];
      if (media) media.examples[s.id] = example;
    } else {
      responses[status] = {
        description: codeList([s.expect.code as string]),
        headers: { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' } },
        content: {
          [errorMedia(path)]: { schema: errorSchema(path), examples: { [s.id]: example } },
        },
      };
    }
  }
  return {
    tags: [(Object.values(item)[0] as { tags: string[] }).tags[0]],
    summary: 'Preflight, or the methods served',
    operationId: operationId('options', path),
    security: [{}],
    responses: sortResponses(responses),
  };
}

function requirement(alternative: Security[]): Record<string, string[]> {
  return Object.fromEntries(alternative.map((name) => [name, []]));
}

function rangeCovers(responses: Record<string, unknown>, status: number): boolean {
  return `${Math.floor(status / 100)}XX` in responses;
}

function sortResponses(responses: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
}

function operationId(method: string, path: string): string {
  const words = path
    .replace(/[{}]/g, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1));
  return method + (words.join('') || 'Root');
}
