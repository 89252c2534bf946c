/** The echo family, httpbin's /headers and /anything (routes/echo.ts). */
import { BODY_ERRORS, obj, str } from '../schemas';
import type { Method, RouteDoc, Schema } from '../types';

/** Header fields as sent: a repeated field is a list. */
const fields: Schema = {
  type: 'object',
  additionalProperties: { oneOf: [str, { type: 'array', items: str }] },
};

/** Authorization and Proxy-Authorization, read without their secrets. */
const credentials: Schema = {
  type: 'object',
  description:
    'By header name: the scheme, and for Basic the user name and the password’s length, for a Bearer JWT its decoded header and payload (the signature only by its length), for anything else the length.',
  additionalProperties: { type: ['object', 'array'] },
};

const note = { ...str, description: 'Says which values are not echoed, and that none is kept.' };

const anything = obj(
  {
    method: str,
    path: str,
    query: { type: 'object' },
    headers: fields,
    credentials,
    body: { type: ['object', 'null'] },
    contentType: { type: ['string', 'null'] },
    origin: { type: ['string', 'null'], description: 'The client address the server sees.' },
    note,
  },
  ['method', 'path', 'query', 'headers', 'credentials', 'body', 'origin', 'note'],
);

const ANYTHING_METHODS: Method[] = ['get', 'post', 'put', 'patch', 'delete'];

export const echoRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/headers',
    tag: 'echo',
    summary: 'The request’s header fields, secrets not echoed (httpbin)',
    success: [
      {
        status: 200,
        description: 'The header fields as they arrived.',
        schema: obj({ headers: fields, credentials, note }, ['headers', 'credentials', 'note']),
      },
    ],
  },
  ...['/anything', '/anything/{path}'].flatMap((path) =>
    ANYTHING_METHODS.map((method): RouteDoc => ({
      method,
      path,
      tag: 'echo',
      summary: `The ${method.toUpperCase()} request as the server received it, secrets not echoed (httpbin)`,
      body: method === 'get' ? undefined : { schema: { type: 'object' }, form: true },
      success: [{ status: 200, description: 'The request, echoed.', schema: anything }],
      errors: method === 'get' ? undefined : BODY_ERRORS,
    })),
  ),
];
