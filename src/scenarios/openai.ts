import { problemCatalog } from './catalog';
import { rfc } from './refs';
import { invalidToken, noError } from './shared';
import type { FamilyInfo, Scenario } from './types';
import { cite } from './sources';

/** The family's heading in /scenarios, the playground and the OpenAPI tags. */
export const family: FamilyInfo = {
  title: 'OpenAI-compatible API on /v1/*',
  summary:
    cite('invalidToken') +
    ': an OpenAI-style client fails with `Invalid Token (request id: …)`. Point any OpenAI SDK at this server (base URL `…/v1`, the demo key `sk-demo-four-oh-one` or an access token) and it gets that exact error. Errors here use OpenAI’s envelope `{"error": {"message", "type", "param", "code"}}` instead of problem+json, still with X-Request-Id and a Bearer challenge.',
};

/** The family's scenarios, in the order /scenarios and the playground list them. */
export const scenarios: Scenario[] = [
  {
    id: 'openai-valid-key',
    family: 'openai',
    title: 'An OpenAI SDK with the demo key lists the models',
    trigger: {
      method: 'GET',
      path: '/v1/models',
      headers: { Authorization: 'Bearer sk-demo-four-oh-one' },
    },
    expect: { status: 200, challenge: null },
    explanation:
      'What `OpenAI(api_key="sk-demo-four-oh-one", base_url="{{public_url}}/v1").models.list()` sends: the key as a Bearer credential (RFC 6750 §2.1), the same header the article’s client sends. The key is compared as a SHA-256 digest in constant time, so neither its value nor its length leaks through timing. The key is DEMO_OPENAI_KEY; this trigger shows its default.',
    rfc: [rfc(6750, '2.1')],
  },
  {
    id: 'openai-access-token',
    family: 'openai',
    title: 'An access token works as an API key',
    trigger: {
      method: 'GET',
      path: '/v1/models',
      headers: { Authorization: 'Bearer {{token:valid}}' },
    },
    expect: { status: 200, challenge: null },
    explanation:
      'Besides the API key, `/v1/*` accepts any access token this server issued, judged exactly as on /api/v1/data. That is the article’s setup: a short-lived token in the SDK’s api_key slot, which expires and must be refreshed.',
    rfc: [rfc(6750, '2.1'), rfc(9068, '4')],
  },
  {
    id: 'openai-retrieve-model',
    family: 'openai',
    title: 'Retrieve one model, as models.retrieve() does',
    trigger: {
      method: 'GET',
      path: '/v1/models/four-oh-one-echo',
      headers: { Authorization: 'Bearer sk-demo-four-oh-one' },
    },
    expect: { status: 200, challenge: null },
    explanation:
      'What `client.models.retrieve("four-oh-one-echo")` sends: the model object, `{"id", "object": "model", "created", "owned_by"}`, exactly as listed by GET /v1/models.',
    rfc: [rfc(9110, '15.3.1')],
  },
  {
    id: 'openai-unknown-model',
    family: 'openai',
    title: 'A model that does not exist: 404 model_not_found',
    trigger: {
      method: 'GET',
      path: '/v1/models/gpt-does-not-exist',
      headers: { Authorization: 'Bearer sk-demo-four-oh-one' },
    },
    expect: { status: 404, code: 'model_not_found', challenge: null, envelope: 'openai' },
    explanation:
      'The key is right and the model is unknown: `{"error": {"message": "The model \'gpt-does-not-exist\' does not exist (request id: …)", "type": "invalid_request_error", "param": "model", "code": "model_not_found"}}`, OpenAI’s answer for the same request. The Python SDK raises NotFoundError, never AuthenticationError, so a client that refreshes its token on 401 leaves this one alone.',
    rfc: problemCatalog.model_not_found.rfc,
  },
  {
    id: 'openai-chat',
    family: 'openai',
    title: 'A chat completion from the echo model',
    trigger: {
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { Authorization: 'Bearer sk-demo-four-oh-one' },
      body: { model: 'four-oh-one-echo', messages: [{ role: 'user', content: 'Hello' }] },
    },
    expect: { status: 200, challenge: null, headers: { 'cache-control': 'no-store' } },
    explanation:
      'The answer has OpenAI’s shape (id, object "chat.completion", created, model, choices[0].message, finish_reason "stop", usage) and quotes the last user message back, always the same for the same request, so a client’s tests can assert on it.',
    rfc: [rfc(9110, '15.3.1')],
  },
  {
    id: 'openai-stream',
    family: 'openai',
    title: 'A streamed chat completion (server-sent events)',
    trigger: {
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { Authorization: 'Bearer sk-demo-four-oh-one' },
      body: {
        model: 'four-oh-one-echo',
        messages: [{ role: 'user', content: 'Hello' }],
        stream: true,
      },
    },
    expect: {
      status: 200,
      challenge: null,
      headers: { 'content-type': 'text/event-stream; charset=utf-8' },
    },
    explanation:
      'With `stream: true` the reply comes as `data: {chunk}` events of object "chat.completion.chunk", one word per delta, a last chunk with finish_reason "stop", then `data: [DONE]`. Authentication happens before the stream starts: once a 200 and its first bytes are out, a 401 can no longer be sent.',
    rfc: [rfc(9110, '15.3.1')],
  },
  {
    id: 'openai-missing-key',
    family: 'openai',
    title: 'No API key',
    trigger: { method: 'GET', path: '/v1/models' },
    expect: {
      status: 401,
      code: 'token_missing',
      challenge: noError,
      envelope: 'openai',
    },
    explanation:
      'Errors on /v1/* come in OpenAI’s envelope, not problem+json: `{"error": {"message": "You didn\'t provide an API key. … (request id: <id>)", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}`, because that is what OpenAI SDKs parse. It is still a 401 with a WWW-Authenticate challenge (RFC 9110 §15.5.2), without an error parameter since no credentials were sent (RFC 6750 §3). The client should configure a key; retrying cannot help.',
    rfc: [rfc(9110, '15.5.2'), rfc(6750, '3')],
  },
  {
    id: 'openai-api-key-in-query',
    family: 'openai',
    title: 'The API key in the URL: /v1/models?api_key=…',
    trigger: { method: 'GET', path: '/v1/models?api_key=sk-demo-four-oh-one' },
    expect: {
      status: 401,
      code: 'api_key_in_query_refused',
      challenge: noError,
      envelope: 'openai',
    },
    explanation:
      'The right key, in the wrong place: OpenAI and this server read keys from `Authorization: Bearer` only, and a URL is logged by every proxy on the way. The envelope’s code is invalid_api_key, as OpenAI SDKs expect of a 401, and its message says where the key goes; the WWW-Authenticate challenge has no error, since no credentials came where they are read. The same key in the header is served.',
    rfc: problemCatalog.api_key_in_query_refused.rfc,
  },
  {
    id: 'openai-invalid-key',
    family: 'openai',
    title: 'A wrong API key: "Invalid Token (request id: …)"',
    trigger: { method: 'GET', path: '/v1/models', headers: { Authorization: 'Bearer sk-wrong' } },
    expect: {
      status: 401,
      code: 'api_key_invalid',
      challenge: invalidToken('api_key_invalid'),
      envelope: 'openai',
    },
    explanation:
      'The article’s error, reproduced: the body is `{"error": {"message": "Invalid Token (request id: <id>)", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}`, where <id> is the X-Request-Id response header — quote it when you report the error, and the server’s log line for that id names the real reason. An OpenAI-style API still answers 401 with `WWW-Authenticate: Bearer …, error="invalid_token"`: HTTP requires the challenge on every 401, and it tells generic HTTP clients and proxies which scheme failed. A key that is simply wrong will not get better by retrying: check the key and the base URL.',
    articleNote:
      'The gateway in ' +
      cite('invalidToken') +
      ' answered `{"error": {"code": "", "type": "rix_api_error", …}}`, a proxy’s variant. This server answers as OpenAI does, with code "invalid_api_key" and type "invalid_request_error"; the message, "Invalid Token (request id: …)", is the article’s.',
    rfc: [...problemCatalog.api_key_invalid.rfc],
  },
  {
    id: 'openai-expired-token',
    family: 'openai',
    title: 'An expired access token as the API key',
    trigger: {
      method: 'GET',
      path: '/v1/models',
      headers: { Authorization: 'Bearer {{token:expired}}' },
    },
    expect: {
      status: 401,
      code: 'token_expired',
      challenge: invalidToken('token_expired'),
      envelope: 'openai',
    },
    explanation:
      'The body says only "Invalid Token (request id: …)", as the gateway in ' +
      cite('invalidToken') +
      ' did (OpenAI’s own API says "Incorrect API key provided" for a key it does not know); the reason is in the challenge’s error_description ("Access token expired") and in the log line for the request id. This is the case the article’s fix is for: on a 401 whose message holds "Invalid Token", get a new token (POST /auth/token), then retry the request once — not in a loop.',
    rfc: [...problemCatalog.token_expired.rfc, rfc(9110, '15.5.2')],
  },
  {
    id: 'openai-missing-messages',
    family: 'openai',
    title: 'A chat completion without messages',
    trigger: {
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { Authorization: 'Bearer sk-demo-four-oh-one' },
      body: { model: 'four-oh-one-echo' },
    },
    expect: { status: 400, code: 'body_invalid', challenge: null, envelope: 'openai' },
    explanation:
      'The key is fine, the request is not: 400 in the envelope with `"param": "messages"` and the message "Missing required parameter: \'messages\'. (request id: …)". OpenAI SDKs raise BadRequestError, not AuthenticationError, so a client never refreshes its token over a bad body.',
    rfc: [rfc(9110, '15.5.1')],
  },
  {
    id: 'openai-unknown-path',
    family: 'openai',
    title: 'A /v1 path no route serves',
    trigger: { method: 'GET', path: '/v1/engines' },
    expect: { status: 404, code: 'not_found', challenge: null, envelope: 'openai' },
    explanation:
      'Under /v1/ even a 404 comes in the envelope, with code "unknown_url" as OpenAI sends it. A wrong base URL (a missing or doubled /v1) shows up here, not as a 401.',
    rfc: problemCatalog.not_found.rfc,
  },
  {
    id: 'openai-method-not-allowed',
    family: 'openai',
    title: 'A method /v1/models does not serve',
    trigger: { method: 'DELETE', path: '/v1/models' },
    expect: {
      status: 405,
      code: 'method_not_allowed',
      challenge: null,
      headers: { Allow: 'GET, HEAD, OPTIONS' },
      envelope: 'openai',
    },
    explanation:
      'The method is checked before the key, as everywhere on this server, and the 405 comes in the envelope with an Allow header.',
    rfc: problemCatalog.method_not_allowed.rfc,
  },
];
