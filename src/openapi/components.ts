/** The document's components: schemas, headers, shared responses and security schemes. */
import { problemCatalog } from '../scenarios/catalog';
import { problemExample } from './examples';
import { RUN_SCHEMAS } from './paths/runs';
import { int, iso, obj, ref, str } from './schemas';
import type { Schema } from './types';

/** `components` for a server whose session cookie is `cookieName`. */
export function components(cookieName: string): Schema {
  return {
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
            oneOf: [
              { type: 'string' },
              {
                type: 'object',
                properties: { code: str, description: str },
                required: ['code'],
              },
            ],
            description:
              'RFC 6749 §5.2 error, a string: always present on /auth/token, /auth/revoke and /auth/introspect, whose errors are application/json. On POST /gnap/grant, RFC 9635 §3.6’s object `{code, description}`.',
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
            description:
              'GET /api/v1/flaky: this token_expired, rate_limited or store_unavailable is a scripted failure.',
          },
          attempt: {
            type: 'integer',
            minimum: 1,
            description: 'GET /api/v1/flaky: this call’s number (absent with fail=always).',
          },
          failures: {
            type: 'integer',
            minimum: 0,
            maximum: 10,
            description: 'GET /api/v1/flaky: the failures asked for (`fail`).',
          },
          mfa_token: {
            type: 'string',
            description:
              'mfa_required: stands for the password just checked; POST it with the one-time code to /login/mfa within 300 s.',
          },
          attempts_remaining: {
            type: 'integer',
            minimum: 0,
            description: 'mfa_code_invalid: codes this mfa_token still allows.',
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
          token_type: {
            enum: ['Bearer', 'DPoP'],
            description:
              'DPoP when the request carried a valid DPoP proof: the tokens are bound to its key (cnf.jkt, RFC 9449 §5).',
          },
          expires_in: int,
          refresh_token: str,
          scope: str,
          id_token: {
            type: 'string',
            description: 'OpenID Connect (scope openid): ES256, for the client.',
          },
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
          headers: {
            type: 'array',
            description:
              'The answer’s response headers as [name, value] pairs (never Set-Cookie); only those that matter (the challenge, Retry-After, RateLimit, CORS, Vary) when all would not fit.',
            items: { type: 'array', items: str, minItems: 2, maxItems: 2 },
          },
          type: str,
          remedy: str,
        },
        ['request_id', 'status', 'code', 'trace', 'type', 'remedy'],
      ),
      ...RUN_SCHEMAS,
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
      dpop: {
        type: 'http',
        scheme: 'DPoP',
        description:
          'A DPoP-bound access token (token_type DPoP, from POST /auth/token with a DPoP header) as `Authorization: DPoP <token>`, with a `DPoP` header: a proof JWT (typ dpop+jwt; ES256, EdDSA, PS256 or RS256; the public key in jwk) made for this request: htm, htu (PUBLIC_URL and the path), iat within 60 s, a new jti, ath = base64url(SHA-256(token)), and on /api/v1/dpop/nonce the nonce of the last DPoP-Nonce header (RFC 9449 §4, §7, §9).',
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
      negotiate: {
        type: 'http',
        scheme: 'negotiate',
        description:
          'RFC 4559: a raw NTLM handshake inside Negotiate (no Kerberos: no KDC), on one connection.',
      },
      ntlm: {
        type: 'http',
        scheme: 'ntlm',
        description:
          '[MS-NLMP]: NEGOTIATE, CHALLENGE, AUTHENTICATE (NTLMv2) on one keep-alive connection.',
      },
      oauth1: {
        type: 'http',
        scheme: 'OAuth',
        description:
          'OAuth 1.0a signed requests (RFC 5849): `Authorization: OAuth oauth_consumer_key="…", …, oauth_signature="…"`.',
      },
      scramSha256: {
        type: 'http',
        scheme: 'scram-sha-256',
        description: 'RFC 7804 with RFC 7677: two rounds of 401, sid and data; user / pencil.',
      },
      concealed: {
        type: 'http',
        scheme: 'concealed',
        description:
          'RFC 9729: `Authorization: Concealed k=…, a=…, p=…, s=…, v=…`, sent unprompted over TLS 1.3; key ID "basement" (Ed25519, published seed).',
      },
      gnap: {
        type: 'http',
        scheme: 'gnap',
        description:
          'GNAP (RFC 9635): `Authorization: GNAP <token>` from POST /gnap/grant, with an RFC 9421 signature by the bound key (tag="gnap").',
      },
      scramSha1: {
        type: 'http',
        scheme: 'scram-sha-1',
        description: 'RFC 7804 with RFC 5802: two rounds of 401, sid and data; user / pencil.',
      },
      mutual: {
        type: 'http',
        scheme: 'mutual',
        description:
          'RFC 8120 with RFC 8121 iso-kam3-dl-2048-sha256: the 401-INIT and the client messages are checked; the key exchange is not implemented here, so no request succeeds.',
      },
      hoba: {
        type: 'http',
        scheme: 'hoba',
        description:
          'RFC 7486: `Authorization: HOBA result="kid.challenge.nonce.sig"`, a registered RSA key signing the challenge (GET /hoba runs it in a browser).',
      },
      openaiKey: {
        type: 'http',
        scheme: 'bearer',
        description: 'The demo key sk-demo-four-oh-one (DEMO_OPENAI_KEY), or an access token.',
      },
    },
  };
}
