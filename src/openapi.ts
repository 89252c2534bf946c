import { isOAuthPath, openAiErrorBody, problem, problemBody } from './problems';
import { problemCatalog, type ProblemCode } from './scenarios/catalog';
import { families, scenarios as defaultRegistry, type Family, type Scenario } from './scenarios';

/**
 * The OpenAPI 3.1 document, built once at startup from the route table below (one row per route,
 * read top to bottom like the routers) and the scenario registry, which gives every response its
 * problem codes and examples. test/openapi.test.ts fires every registry trigger and validates the
 * real answer against this document, and checks that every route the app serves has a row here.
 */

type Schema = Record<string, unknown>;
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'options';

/** The security schemes, named as in components.securitySchemes. */
type Security = 'bearer' | 'cookieSession' | 'basic' | 'digest' | 'apiKey' | 'openaiKey';

interface Success {
  status: number | `${1 | 2 | 3 | 4 | 5}XX`;
  description: string;
  /** application/json unless `type` says otherwise; none for an empty body. */
  schema?: Schema;
  type?: string;
  /** More media types for the same status (HTML for browsers, a stream). */
  alternatives?: Record<string, Schema>;
  headers?: Record<string, string>;
}

interface RouteDoc {
  method: Method;
  /** The OpenAPI path, `{name}` for parameters. */
  path: string;
  tag: Family | 'learn' | 'operations';
  summary: string;
  description?: string;
  /** Alternatives: any one of them (an empty list: none needed). Absent: no credentials. */
  security?: Security[][];
  success: Success[];
  /** Problems the route answers besides those its registry scenarios show. */
  errors?: ProblemCode[];
  /** A JSON (and, with `form`, urlencoded) body with these properties. */
  body?: { schema: Schema; form?: boolean; required?: boolean };
  /** Path and query parameters: a description (a string then), or a description and a schema. */
  params?: Record<string, string | { description: string; schema: Schema }>;
  /**
   * Whether the guards of `security` answer here as on their own routes (the default). The OAuth
   * endpoints authenticate clients with Basic, but answer invalid_client, not Basic's codes.
   */
  guardErrors?: false;
}

// --- Schemas ---------------------------------------------------------------------------------

const str = { type: 'string' };
const int = { type: 'integer' };
const bool = { type: 'boolean' };
const obj = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  ...(required.length > 0 ? { required } : {}),
});
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
/** An object with exactly these members: a member the server sends but this does not name fails. */
const closed = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  ...obj(properties, required),
  additionalProperties: false,
});
const uri = { type: 'string', format: 'uri' };
const strings = { type: 'array', items: str };
const iso = { type: 'string', format: 'date-time' };

const BODY_ERRORS: ProblemCode[] = ['body_malformed', 'body_too_large', 'media_type_unsupported'];
const STORE: ProblemCode[] = ['store_unavailable'];

const authenticated = obj({ authenticated: { const: true } }, ['authenticated']);
const sessionView = obj(
  {
    message: str,
    user: obj({ sub: str, type: str }, ['sub', 'type']),
    idle_expires_at: iso,
    absolute_expires_at: iso,
  },
  ['user', 'idle_expires_at', 'absolute_expires_at'],
);
const tokenBody = obj(
  {
    grant_type: { enum: ['client_credentials', 'password', 'refresh_token'] },
    api_key: str,
    api_secret: str,
    client_id: str,
    client_secret: str,
    username: str,
    password: str,
    refresh_token: str,
    scope: str,
    expires_in: { type: ['integer', 'string'], description: 'Seconds, 1 up to the maximum.' },
  },
  [],
);
const html = { 'text/html': { type: 'string' } };

// --- The route table: every route the app serves ------------------------------------------------

const ROUTES: RouteDoc[] = [
  // learn
  {
    method: 'get',
    path: '/playground',
    tag: 'learn',
    summary: 'The playground: every scenario, runnable from the browser',
    success: [{ status: 200, description: 'An HTML page.', type: 'text/html', schema: str }],
    errors: STORE,
  },
  {
    method: 'get',
    path: '/favicon.ico',
    tag: 'learn',
    summary: 'The site’s icon',
    success: [{ status: 200, description: 'An SVG icon.', type: 'image/svg+xml', schema: str }],
  },
  {
    method: 'get',
    path: '/playground.js',
    tag: 'learn',
    summary: "The playground's script",
    success: [{ status: 200, description: 'JavaScript.', type: 'text/javascript', schema: str }],
  },
  {
    method: 'get',
    path: '/scenarios',
    tag: 'learn',
    summary: 'Every scenario: trigger (with real tokens), expected answer, curl, RFCs',
    success: [
      {
        status: 200,
        description: 'The registry, served.',
        schema: obj({ families: { type: 'array' }, scenarios: { type: 'array' } }, [
          'families',
          'scenarios',
        ]),
      },
    ],
    errors: STORE,
  },
  {
    method: 'get',
    path: '/problems',
    tag: 'learn',
    summary: 'Every problem code with its status and title',
    success: [
      {
        status: 200,
        description: 'The catalog.',
        schema: obj({ problems: { type: 'array' } }, ['problems']),
      },
    ],
  },
  {
    method: 'get',
    path: '/problems/{code}',
    tag: 'learn',
    summary: "A problem's documentation: where every error `type` points",
    params: { code: 'A problem code, e.g. token_expired.' },
    success: [
      {
        status: 200,
        description: 'Why the server answers so, what to do, the RFCs, the scenarios.',
        schema: obj(
          { type: str, code: str, status: int, title: str, explanation: str, remedy: str },
          ['code', 'status', 'title'],
        ),
        alternatives: html,
      },
    ],
    errors: ['not_found'],
  },
  {
    method: 'get',
    path: '/explain/{request_id}',
    tag: 'learn',
    summary: 'Why a recent request was refused: the decision trace',
    description:
      'For a refused request of the last 15 minutes, by the id its answer named in X-Explanation-Id (and the problem’s `explanation` member), which is its X-Request-Id when the client sent none: what was checked, which check failed, the times involved and the key id. Never the token, a secret, or a credential carried in the path.',
    params: {
      request_id:
        'The X-Explanation-Id of the refused answer (its X-Request-Id when the server chose that).',
    },
    success: [
      {
        status: 200,
        description: 'The explanation.',
        schema: ref('Explanation'),
        alternatives: html,
      },
    ],
    errors: ['not_found', ...STORE],
  },
  {
    method: 'get',
    path: '/openapi.json',
    tag: 'learn',
    summary: 'This document',
    success: [
      { status: 200, description: 'OpenAPI 3.1.', schema: obj({ openapi: str }, ['openapi']) },
    ],
  },
  {
    method: 'get',
    path: '/docs',
    tag: 'learn',
    summary: 'This document, rendered (Swagger UI)',
    success: [
      { status: 200, description: 'The page, at /docs/.', type: 'text/html', schema: str },
      { status: 301, description: 'From /docs to /docs/.', headers: { Location: 'Where to.' } },
    ],
  },
  {
    method: 'get',
    path: '/playground.css',
    tag: 'learn',
    summary: 'The stylesheet of the playground and /explain pages',
    success: [{ status: 200, description: 'CSS.', type: 'text/css', schema: str }],
  },
  // operations
  {
    method: 'get',
    path: '/healthz',
    tag: 'operations',
    summary: 'Liveness: the process answers',
    success: [
      { status: 200, description: 'Alive.', schema: obj({ status: { const: 'ok' } }, ['status']) },
    ],
  },
  {
    method: 'get',
    path: '/readyz',
    tag: 'operations',
    summary: 'Readiness: the store answers too',
    success: [
      {
        status: 200,
        description: 'Ready.',
        schema: obj({ status: str, store: { enum: ['memory', 'redis'] } }, ['status', 'store']),
      },
    ],
    errors: STORE,
  },
  // bearer
  {
    method: 'get',
    path: '/api/v1/data',
    tag: 'bearer',
    summary: 'Bearer-protected data (the article’s first example)',
    security: [['bearer']],
    success: [
      {
        status: 200,
        description: 'The data and who you are.',
        schema: obj({ message: str, data: { type: 'array' }, caller: { type: 'object' } }, [
          'message',
          'data',
        ]),
      },
    ],
    errors: ['insufficient_scope', ...STORE],
  },
  {
    method: 'get',
    path: '/api/v1/flaky',
    tag: 'bearer',
    summary: 'Scripted 401s for retry logic: the first `fail` calls per `key` answer token_expired',
    security: [['bearer']],
    params: {
      fail: {
        description: 'Failures before success, 0-10.',
        schema: { type: 'integer', minimum: 0, maximum: 10 },
      },
      key: {
        description: '1-64 characters of A-Z a-z 0-9 _ -.',
        schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
      },
    },
    success: [
      {
        status: 200,
        description: 'Success after the scripted failures.',
        schema: obj({ message: str, attempt: int, failures: int, key: str }, [
          'attempt',
          'failures',
          'key',
        ]),
      },
    ],
    errors: ['token_expired', 'insufficient_scope', 'parameter_invalid', ...STORE],
  },
  // tokens
  {
    method: 'post',
    path: '/auth/token',
    tag: 'tokens',
    guardErrors: false,
    summary: 'Get or refresh tokens: the article’s {"api_key","api_secret"}, or an OAuth grant',
    security: [[], ['basic']],
    body: { schema: tokenBody, form: true, required: true },
    success: [
      { status: 200, description: 'Tokens (RFC 6749 §5.1).', schema: ref('TokenResponse') },
    ],
    errors: ['invalid_request', ...BODY_ERRORS, ...STORE],
  },
  {
    method: 'post',
    path: '/auth/revoke',
    tag: 'tokens',
    guardErrors: false,
    summary: 'Revoke a token (RFC 7009): always 200',
    security: [[], ['basic']],
    body: {
      schema: obj({ token: str, token_type_hint: str }, ['token']),
      form: true,
      required: true,
    },
    success: [
      {
        status: 200,
        description: 'Revoked, or nothing to revoke: `{}` (RFC 7009 §2.2).',
        schema: { type: 'object', maxProperties: 0 },
      },
    ],
    errors: ['invalid_request', 'invalid_client', ...BODY_ERRORS, ...STORE],
  },
  {
    method: 'post',
    path: '/auth/introspect',
    tag: 'tokens',
    guardErrors: false,
    summary: 'Introspect a token (RFC 7662); client authentication required',
    security: [['basic']],
    body: { schema: obj({ token: str }, ['token']), form: true, required: true },
    success: [
      {
        status: 200,
        description:
          'Whether the token is active, and its claims. `token_type` is `Bearer` for an access token (RFC 7662 §2.2, the RFC 6749 §7.1 type); `token_use` says `access_token` or `refresh_token`.',
        schema: obj(
          {
            active: bool,
            token_type: { const: 'Bearer' },
            token_use: { enum: ['access_token', 'refresh_token'] },
          },
          ['active'],
        ),
      },
    ],
    errors: ['invalid_request', 'invalid_client', ...BODY_ERRORS, ...STORE],
  },
  {
    method: 'post',
    path: '/auth/revoke-all',
    tag: 'tokens',
    summary: 'Revoke every token of the caller (an admin may name `sub`)',
    security: [['bearer']],
    body: { schema: obj({ sub: str }), form: true },
    success: [
      {
        status: 200,
        description: 'Revoked up to now.',
        schema: obj({ sub: str, revoked_up_to: iso }, ['sub', 'revoked_up_to']),
      },
    ],
    errors: [
      'token_missing',
      'role_insufficient',
      'insufficient_scope',
      'invalid_request',
      ...BODY_ERRORS,
      ...STORE,
    ],
  },
  {
    method: 'get',
    path: '/.well-known/oauth-authorization-server',
    tag: 'tokens',
    summary: 'Authorization server metadata (RFC 8414)',
    success: [
      {
        status: 200,
        description: 'Metadata.',
        schema: closed(
          {
            issuer: uri,
            token_endpoint: uri,
            revocation_endpoint: uri,
            introspection_endpoint: uri,
            jwks_uri: uri,
            grant_types_supported: strings,
            response_types_supported: strings,
            token_endpoint_auth_methods_supported: strings,
            revocation_endpoint_auth_methods_supported: strings,
            introspection_endpoint_auth_methods_supported: strings,
            scopes_supported: strings,
            service_documentation: uri,
          },
          ['issuer', 'token_endpoint', 'response_types_supported'],
        ),
      },
    ],
  },
  {
    method: 'get',
    path: '/.well-known/oauth-protected-resource',
    tag: 'tokens',
    summary: 'Protected resource metadata (RFC 9728), named in every Bearer challenge',
    success: [
      {
        status: 200,
        description: 'Metadata.',
        schema: closed(
          {
            resource: uri,
            authorization_servers: { type: 'array', items: uri },
            bearer_methods_supported: strings,
            scopes_supported: strings,
            jwks_uri: uri,
            resource_documentation: uri,
          },
          ['resource'],
        ),
      },
    ],
  },
  {
    method: 'get',
    path: '/.well-known/jwks.json',
    tag: 'tokens',
    summary: 'The public signing keys (RFC 7517)',
    success: [
      {
        status: 200,
        description: 'A JWK set.',
        schema: obj({ keys: { type: 'array' } }, ['keys']),
      },
    ],
  },
  {
    method: 'get',
    path: '/tokens/specimens',
    tag: 'tokens',
    summary: 'Ready-made good and bad tokens, each with the code it produces',
    success: [
      {
        status: 200,
        description: 'The specimens.',
        schema: obj({ target: str, specimens: { type: 'array' } }, ['specimens']),
      },
    ],
    errors: STORE,
  },
  // session
  {
    method: 'post',
    path: '/login',
    tag: 'session',
    summary: 'Log in with a form; sets the session cookie',
    body: {
      schema: obj(
        {
          username: str,
          password: str,
          idle_seconds: { type: ['integer', 'string'] },
          absolute_seconds: { type: ['integer', 'string'] },
        },
        ['username', 'password'],
      ),
      form: true,
      required: true,
    },
    success: [
      {
        status: 200,
        description: 'Logged in; Set-Cookie carries the session.',
        schema: sessionView,
      },
    ],
    errors: ['too_many_attempts', ...BODY_ERRORS, ...STORE],
  },
  {
    method: 'post',
    path: '/keepalive',
    tag: 'session',
    summary: 'The heartbeat: keeps the session’s idle window open',
    security: [['cookieSession']],
    success: [{ status: 200, description: 'Kept alive.', schema: sessionView }],
    errors: STORE,
  },
  {
    method: 'get',
    path: '/me',
    tag: 'session',
    summary: 'Who the session is (also counts as activity)',
    security: [['cookieSession']],
    success: [{ status: 200, description: 'The session.', schema: sessionView }],
    errors: [
      'session_missing',
      'session_invalid',
      'session_idle_expired',
      'session_absolute_expired',
      ...STORE,
    ],
  },
  {
    method: 'post',
    path: '/logout',
    tag: 'session',
    summary: 'Log out: the session is destroyed',
    security: [[], ['cookieSession']],
    success: [
      { status: 200, description: 'Logged out.', schema: obj({ message: str }, ['message']) },
    ],
    errors: STORE,
  },
  // admin
  {
    method: 'get',
    path: '/admin',
    tag: 'admin',
    summary: 'The article’s admin panel: the admin role and the admin scope',
    security: [['bearer']],
    success: [{ status: 200, description: 'Welcome.', schema: obj({ message: str }, ['message']) }],
    errors: ['role_insufficient', 'insufficient_scope', ...STORE],
  },
  {
    method: 'get',
    path: '/account/security',
    tag: 'admin',
    summary: 'Needs a recent login (RFC 9470 step-up)',
    security: [['bearer']],
    success: [
      {
        status: 200,
        description: 'Unlocked.',
        schema: obj({ message: str, sub: str }, ['message']),
      },
    ],
    errors: STORE,
  },
  // cors
  {
    method: 'get',
    path: '/',
    tag: 'cors',
    summary: 'The article’s Flask hello world, behind the CORS policy',
    success: [{ status: 200, description: 'Hello.', schema: obj({ message: str }, ['message']) }],
  },
  ...(['no-acao-on-401', 'unexposed', 'preflight-needs-auth'] as const).map((name): RouteDoc => ({
    method: 'get',
    path: `/cors/broken/${name}`,
    tag: 'cors',
    summary: `A CORS set-up broken on purpose: ${name}`,
    security: [['bearer']],
    success: [
      {
        status: 200,
        description: 'The data.',
        schema: obj({ message: str, note: str }, ['message']),
      },
    ],
    errors: ['insufficient_scope', ...STORE],
  })),
  {
    method: 'get',
    path: '/cors/broken/wildcard-credentials',
    tag: 'cors',
    summary: 'A CORS set-up broken on purpose: a wildcard with credentials',
    security: [['cookieSession']],
    success: [
      { status: 200, description: 'The session.', schema: obj({ message: str }, ['message']) },
    ],
    errors: STORE,
  },
  // classic
  {
    method: 'get',
    path: '/basic-auth/{user}/{passwd}',
    tag: 'classic',
    summary: 'Basic auth with the credentials the path names (httpbin)',
    security: [['basic']],
    success: [{ status: 200, description: 'Authenticated.', schema: authenticated }],
  },
  {
    method: 'get',
    path: '/hidden-basic-auth/{user}/{passwd}',
    tag: 'classic',
    summary: 'Basic auth that answers 404 until the credentials are right (httpbin)',
    security: [['basic']],
    success: [{ status: 200, description: 'Authenticated.', schema: authenticated }],
  },
  ...[
    '/digest-auth/{qop}/{user}/{passwd}',
    '/digest-auth/{qop}/{user}/{passwd}/{algorithm}',
    '/digest-auth/{qop}/{user}/{passwd}/{algorithm}/{stale_after}',
  ].map((path): RouteDoc => ({
    method: 'get',
    path,
    tag: 'classic',
    summary: 'Digest auth (RFC 7616) with the credentials the path names (httpbin)',
    security: [['digest']],
    success: [{ status: 200, description: 'Authenticated.', schema: authenticated }],
    errors: [
      'digest_credentials_missing',
      'digest_credentials_invalid',
      'digest_nonce_stale',
      'too_many_attempts',
      ...STORE,
    ],
  })),
  {
    method: 'get',
    path: '/bearer',
    tag: 'classic',
    summary: 'Any Bearer token is accepted and echoed (httpbin)',
    security: [['bearer']],
    success: [
      {
        status: 200,
        description: 'The token, echoed.',
        schema: obj({ authenticated: { const: true }, token: str }, ['authenticated', 'token']),
      },
    ],
  },
  {
    method: 'get',
    path: '/bearer-or-basic',
    tag: 'classic',
    summary: 'Bearer or Basic: one 401 with two challenges',
    security: [['bearer'], ['basic']],
    success: [
      {
        status: 200,
        description: 'Who passed, by which scheme.',
        schema: obj({ authenticated: { const: true }, scheme: { enum: ['Bearer', 'Basic'] } }, [
          'authenticated',
          'scheme',
        ]),
      },
    ],
    errors: STORE,
  },
  {
    method: 'get',
    path: '/api-key/{key}',
    tag: 'classic',
    summary: 'An X-API-Key header that must equal the key the path names',
    security: [['apiKey']],
    success: [{ status: 200, description: 'Authenticated.', schema: authenticated }],
  },
  ...(['get', 'post', 'put', 'patch', 'delete'] as const).map((method): RouteDoc => ({
    method,
    path: '/status/{code}',
    tag: 'classic',
    summary: 'Answers with the status asked for, 200-599 (httpbin)',
    params: {
      code: {
        description: 'An HTTP status, 200-599.',
        schema: { type: 'integer', minimum: 200, maximum: 599 },
      },
    },
    success: [
      { status: '2XX', description: 'The success asked for; an empty body.' },
      {
        status: '3XX',
        description: 'A redirect to /redirect/1 (301, 302, 303, 305, 307, 308).',
        headers: { Location: 'Where to.' },
      },
      { status: 418, description: 'A teapot.', type: 'text/plain', schema: str },
      {
        status: '4XX',
        description: 'The error asked for, as a problem whose status is that status.',
        type: 'application/problem+json',
        schema: ref('Problem'),
      },
      {
        status: '5XX',
        description: 'The error asked for, as a problem whose status is that status.',
        type: 'application/problem+json',
        schema: ref('Problem'),
      },
    ],
    errors: ['parameter_invalid'],
  })),
  {
    method: 'get',
    path: '/redirect/{n}',
    tag: 'classic',
    summary: 'n more redirects, the last one to /status/200 (httpbin)',
    success: [{ status: 302, description: 'The next hop.', headers: { Location: 'Where to.' } }],
    errors: ['parameter_invalid'],
  },
  // openai
  {
    method: 'get',
    path: '/v1/models',
    tag: 'openai',
    summary: 'OpenAI-compatible model list',
    security: [['openaiKey']],
    success: [
      {
        status: 200,
        description: 'The echo model.',
        schema: obj({ object: { const: 'list' }, data: { type: 'array' } }, ['object', 'data']),
      },
    ],
    errors: STORE,
  },
  {
    method: 'get',
    path: '/v1/models/{model}',
    tag: 'openai',
    summary: 'OpenAI-compatible model retrieval; an unknown model is 404 model_not_found',
    security: [['openaiKey']],
    params: { model: 'A model id, e.g. four-oh-one-echo.' },
    success: [
      {
        status: 200,
        description: 'The model.',
        schema: obj({ id: str, object: { const: 'model' }, created: int, owned_by: str }, [
          'id',
          'object',
          'created',
          'owned_by',
        ]),
      },
    ],
    errors: ['model_not_found', ...STORE],
  },
  {
    method: 'post',
    path: '/v1/chat/completions',
    tag: 'openai',
    summary: 'OpenAI-compatible chat completion (an echo), also streamed',
    security: [['openaiKey']],
    body: {
      schema: obj({ model: str, messages: { type: 'array' }, stream: bool }, ['model', 'messages']),
      required: true,
    },
    success: [
      {
        status: 200,
        description: 'A chat.completion, or with `stream: true` server-sent chunks.',
        schema: obj({ id: str, object: { const: 'chat.completion' }, choices: { type: 'array' } }, [
          'id',
          'object',
          'choices',
        ]),
        alternatives: { 'text/event-stream': str },
      },
    ],
    errors: [...BODY_ERRORS, ...STORE],
  },
];

/** The route table, for the test that compares it with the routes the app really serves. */
export const DOCUMENTED_ROUTES: readonly { method: Method; path: string }[] = ROUTES;

// --- Matching registry triggers to routes ------------------------------------------------------

const templateRegex = (path: string) =>
  new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`);
const MATCHERS = [...new Set(ROUTES.map((r) => r.path))].map((path) => ({
  path,
  regex: templateRegex(path),
}));

/** The documented path template a concrete path falls under, if any. */
export function documentedPath(concrete: string): string | undefined {
  const path = concrete.split('?')[0] ?? concrete;
  return MATCHERS.find((m) => m.regex.test(path))?.path;
}

// --- Building the document ----------------------------------------------------------------------

const EXAMPLE_REQUEST_ID = '9f4c2c1e-4b7a-4d0e-8a55-3c1f0e2d7b61';
const isOpenAi = (path: string) => path.startsWith('/v1/');

/** A problem body as this server writes it, for an example. */
/** A problem body as this server writes it on `path`, for an example. */
function problemExample(code: ProblemCode, path: string): unknown {
  const err = problem(code);
  if (isOpenAi(path)) return openAiErrorBody(err, EXAMPLE_REQUEST_ID);
  // `instance` names the occurrence: here, as in most answers, where it is explained.
  const explanation = `/explain/${EXAMPLE_REQUEST_ID}`;
  const body = problemBody(
    err,
    explanation,
    EXAMPLE_REQUEST_ID,
    isOAuthPath(path) ? 'oauth' : 'problem',
  );
  return { ...body, explanation };
}

/** OpenAI's envelope and the OAuth endpoints' errors (RFC 6749 §5.2) are plain JSON. */
const errorMedia = (path: string) =>
  isOpenAi(path) || isOAuthPath(path) ? 'application/json' : 'application/problem+json';
const errorSchema = (path: string) => (isOpenAi(path) ? ref('OpenAiError') : ref('Problem'));

interface Example {
  summary: string;
  description?: string;
  value: unknown;
}

/**
 * Where each guard's refusals are shown in the registry: every code a scenario there answers
 * with a 400, 401 or 429 (the header, the credential, the limits) is what the same guard answers
 * on every route it protects, with the store's 503 beside them.
 */
const GUARD_HOMES: Record<Security, { method: string; path: string }[]> = {
  bearer: [{ method: 'GET', path: '/api/v1/data' }],
  openaiKey: [
    { method: 'GET', path: '/api/v1/data' },
    { method: 'GET', path: '/v1/models' },
  ],
  basic: [{ method: 'GET', path: '/basic-auth/{user}/{passwd}' }],
  digest: [{ method: 'GET', path: '/digest-auth/{qop}/{user}/{passwd}/{algorithm}' }],
  apiKey: [{ method: 'GET', path: '/api-key/{key}' }],
  cookieSession: [{ method: 'POST', path: '/keepalive' }],
};

/** The codes a guard answers on every route it protects (see GUARD_HOMES). */
function guardErrorsFrom(registry: Scenario[]): (security: Security) => ProblemCode[] {
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

/** Builds the document for a server reached at `publicUrl`. */
export function buildOpenApi(options: {
  publicUrl: string;
  cookieName: string;
  version: string;
  /** The registry under this configuration (src/scenarios `registryFor`). */
  registry?: Scenario[];
}): Schema {
  const { publicUrl, cookieName } = options;
  const scenarios = options.registry ?? defaultRegistry;
  const guardErrors = guardErrorsFrom(scenarios);
  const paths: Record<string, Record<string, unknown>> = {};

  for (const route of ROUTES) {
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
      if (status === 401)
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
    paths[route.path] = { ...paths[route.path], [route.method]: operation };
  }

  // Every path answers OPTIONS (a CORS preflight, or 204 with Allow); it is documented where a
  // scenario shows a preflight, so that the list of operations stays the list of routes.
  for (const [path, item] of Object.entries(paths)) {
    if (
      !scenarios.some(
        (s) => s.trigger.method === 'OPTIONS' && documentedPath(s.trigger.path) === path,
      )
    ) {
      continue;
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
    item.options = {
      tags: [(Object.values(item)[0] as { tags: string[] }).tags[0]],
      summary: 'Preflight, or the methods served',
      operationId: operationId('options', path),
      security: [{}],
      responses: sortResponses(responses),
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'four-oh-one',
      version: options.version,
      summary: 'Every way an HTTP request ends in 401, and the answers people confuse with it.',
      description:
        'Each error is an RFC 9457 problem (`application/problem+json`) with a stable `code`, a `request_id` equal to the X-Request-Id header, and a `type` that links to its documentation; `/v1/*` answers in OpenAI’s error envelope instead, and the OAuth endpoints (/auth/token, /auth/revoke, /auth/introspect) answer the same problem members as `application/json`, always with `error` and `error_description` (RFC 6749 §5.2), which OAuth libraries require. The examples are the registry’s scenarios: try each one at /playground, and ask /explain/{request_id} why a request was refused.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: publicUrl }],
    tags: [
      {
        name: 'learn',
        description: 'The playground, the catalog, explanations and this document.',
      },
      ...Object.entries(families)
        .filter(([name]) => name !== 'platform')
        .map(([name, f]) => ({ name, description: `${f.title}. ${f.summary}` })),
      { name: 'operations', description: 'Liveness and readiness.' },
    ],
    paths,
    components: {
      schemas: {
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details, with this server’s code, request_id and remedy.',
          required: ['type', 'title', 'status', 'instance', 'code', 'request_id', 'remedy'],
          properties: {
            type: {
              type: 'string',
              description: 'Dereferences to the documentation: /problems/{code}.',
            },
            title: str,
            status: { type: 'integer', minimum: 400, maximum: 599 },
            detail: { type: 'string', description: 'For a person; never a token or a secret.' },
            instance: {
              type: 'string',
              format: 'uri-reference',
              description:
                'This occurrence (RFC 9457 §3.1.5), never the resource: /explain/{id} where the refusal is explained (equal to `explanation`), else urn:uuid: and the request id.',
              pattern: '^(/explain/[A-Za-z0-9._:-]+|urn:uuid:[0-9a-f-]{36})$',
            },
            code: {
              type: 'string',
              enum: Object.keys(problemCatalog),
              description: 'Stable; branch on it.',
            },
            request_id: { type: 'string', description: 'Equals the X-Request-Id header.' },
            remedy: { type: 'string', description: 'What the client should do next.' },
            explanation: {
              type: 'string',
              description:
                'Where this refusal is explained, /explain/{id}, with the id of the X-Explanation-Id header; absent when the client address spent its explanations for the minute.',
            },
            error: {
              type: 'string',
              description:
                'RFC 6749 §5.2 error: always present on /auth/token, /auth/revoke and /auth/introspect, whose errors are application/json.',
            },
            error_description: str,
            // The extensions (RFC 9457 §3.2) some problems carry, each documented with its code.
            param: {
              type: 'string',
              description:
                'body_invalid, model_not_found: the parameter at fault (as OpenAI names it).',
            },
            required_scope: {
              type: 'string',
              description: 'insufficient_scope: the scope a token needs here (RFC 6750 §3.1).',
            },
            required_role: {
              type: 'string',
              description: 'role_insufficient: the role (identity type) this resource needs.',
            },
            max_age: {
              type: 'integer',
              minimum: 1,
              description:
                'insufficient_user_authentication: how old a login may be, in seconds (RFC 9470).',
            },
            refused_count: {
              type: 'integer',
              minimum: 1,
              description: 'How often this very token was refused in the last minute.',
            },
            scripted: {
              const: true,
              description: 'GET /api/v1/flaky: this token_expired is a scripted failure.',
            },
            attempt: {
              type: 'integer',
              minimum: 1,
              description: 'GET /api/v1/flaky: this call’s number.',
            },
            failures: {
              type: 'integer',
              minimum: 0,
              maximum: 10,
              description: 'GET /api/v1/flaky: the failures asked for (`fail`).',
            },
          },
          additionalProperties: false,
        },
        OpenAiError: {
          type: 'object',
          description: 'OpenAI’s error envelope, used on /v1/* instead of problem+json.',
          required: ['error'],
          additionalProperties: false,
          properties: {
            error: {
              type: 'object',
              required: ['message', 'type', 'param', 'code'],
              additionalProperties: false,
              properties: {
                message: { type: 'string', description: 'Ends with "(request id: …)".' },
                type: { enum: ['invalid_request_error', 'server_error'] },
                param: { type: ['string', 'null'] },
                code: { type: ['string', 'null'] },
              },
            },
          },
        },
        TokenResponse: obj(
          {
            access_token: str,
            token_type: { const: 'Bearer' },
            expires_in: int,
            refresh_token: str,
            scope: str,
          },
          ['access_token', 'token_type', 'expires_in'],
        ),
        Explanation: obj(
          {
            request_id: str,
            at: iso,
            method: str,
            path: str,
            status: int,
            code: str,
            title: str,
            detail: str,
            trace: {
              oneOf: [
                { type: 'null' },
                obj(
                  {
                    guard: str,
                    passed: { type: 'array', items: str },
                    failed: str,
                    not_reached: { type: 'array', items: str },
                    not_applicable: { type: 'array', items: str },
                    times: { type: 'object' },
                    facts: { type: 'object' },
                  },
                  ['guard', 'passed', 'not_reached'],
                ),
              ],
            },
            type: str,
            remedy: str,
          },
          ['request_id', 'status', 'code', 'trace', 'type', 'remedy'],
        ),
      },
      headers: {
        'X-Request-Id': {
          description:
            'The request id, also in the body and the log line: the client’s own X-Request-Id when it sent a sane one, else one the server generated.',
          schema: str,
        },
        'X-Explanation-Id': {
          description:
            'On a refusal: the id to ask /explain/{request_id} with, always one the server generated (equal to X-Request-Id when the client sent none). Absent when the client address spent its explanations for the minute.',
          schema: str,
        },
        'WWW-Authenticate': {
          description: 'At least one challenge on every 401 (RFC 9110 §15.5.2).',
          required: true,
          schema: str,
        },
        'Retry-After': { description: 'Seconds to wait before retrying.', schema: str },
      },
      responses: {
        NotFound: {
          description:
            'not_found: no route serves the path (problem+json; OpenAI’s envelope under /v1/).',
          content: {
            'application/problem+json': {
              schema: ref('Problem'),
              example: problemExample('not_found', '/no/such/path'),
            },
            'application/json': {
              schema: ref('OpenAiError'),
              example: problemExample('not_found', '/v1/engines'),
            },
          },
        },
        MethodNotAllowed: {
          description:
            'method_not_allowed: the path does not serve the method; Allow lists those it does.',
          headers: { Allow: { description: 'The methods served.', schema: str } },
          content: {
            'application/problem+json': {
              schema: ref('Problem'),
              example: problemExample('method_not_allowed', '/api/v1/data'),
            },
            'application/json': {
              schema: ref('OpenAiError'),
              example: problemExample('method_not_allowed', '/v1/models'),
            },
          },
        },
      },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'An access token from POST /auth/token (RFC 6750, RFC 9068).',
        },
        cookieSession: {
          type: 'apiKey',
          in: 'cookie',
          name: cookieName,
          description:
            'The session cookie POST /login sets (challenge: Cookie, after draft-broyer-http-cookie-auth).',
        },
        basic: {
          type: 'http',
          scheme: 'basic',
          description: 'RFC 7617; on /auth/*, the API client’s key and secret.',
        },
        digest: {
          type: 'http',
          scheme: 'digest',
          description: 'RFC 7616 (MD5, SHA-256, SHA-512-256).',
        },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        openaiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'The demo key sk-demo-four-oh-one (DEMO_OPENAI_KEY), or an access token.',
        },
      },
    },
  };
}

function scenarioExample(s: Scenario): Example {
  const code = s.expect.code as ProblemCode;
  const body = problemExample(code, s.trigger.path.split('?')[0] ?? s.trigger.path);
  const challenge =
    s.expect.challenge === null ? '' : `\n\nWWW-Authenticate: \`${s.expect.challenge}\``;
  return {
    summary: `${code}: ${s.title}`,
    description: `${s.explanation}${challenge}\n\nScenario \`${s.id}\`: run it at /playground#${s.id}.`,
    value:
      s.expect.status === problemCatalog[code].status
        ? body
        : { ...(body as object), status: s.expect.status },
  };
}

function codeList(codes: string[]): string {
  return codes
    .map((c) => (c in problemCatalog ? `\`${c}\` (${problemCatalog[c as ProblemCode].title})` : c))
    .join(', ');
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
