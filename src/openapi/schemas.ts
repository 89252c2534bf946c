/** JSON Schema shorthands, and the schemas more than one route's rows use. */
import type { ProblemCode } from '../scenarios/catalog';
import type { Schema } from './types';

export const str = { type: 'string' };
export const int = { type: 'integer' };
export const bool = { type: 'boolean' };
export const obj = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  ...(required.length > 0 ? { required } : {}),
});
export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
/** An object with exactly these members: a member the server sends but this does not name fails. */
export const closed = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  ...obj(properties, required),
  additionalProperties: false,
});
export const uri = { type: 'string', format: 'uri' };
export const strings = { type: 'array', items: str };
export const iso = { type: 'string', format: 'date-time' };

export const BODY_ERRORS: ProblemCode[] = [
  'body_malformed',
  'body_too_large',
  'media_type_unsupported',
];
export const STORE: ProblemCode[] = ['store_unavailable'];

export const authenticated = obj({ authenticated: { const: true } }, ['authenticated']);
export const sessionView = obj(
  {
    message: str,
    user: obj({ sub: str, type: str }, ['sub', 'type']),
    idle_expires_at: iso,
    absolute_expires_at: iso,
    csrf_token: {
      type: 'string',
      description:
        'The session’s CSRF token: a browser sends it back in X-CSRF-Token on POST /keepalive and /logout.',
    },
  },
  ['user', 'idle_expires_at', 'absolute_expires_at'],
);
export const tokenBody = obj(
  {
    grant_type: {
      enum: ['authorization_code', 'client_credentials', 'password', 'refresh_token'],
    },
    code: str,
    redirect_uri: str,
    code_verifier: str,
    api_key: str,
    api_secret: str,
    client_id: str,
    client_secret: str,
    username: str,
    password: str,
    refresh_token: str,
    scope: str,
    expires_in: { type: ['integer', 'string'], description: 'Seconds, 1 up to the maximum.' },
    refresh_idle_seconds: {
      type: ['integer', 'string'],
      description:
        'For tests: the idle lifetime of the refresh token issued now, 1 to 300 s, only ever shorter than REFRESH_TOKEN_IDLE_SECONDS (password grant, the article’s JSON, refresh_token grant).',
    },
    refresh_absolute_seconds: {
      type: ['integer', 'string'],
      description:
        'For tests: the refresh-token family ends at most this many seconds from now, 1 to 300; never later than its end already is.',
    },
    dpop_nonce: {
      enum: ['required'],
      description:
        'With a DPoP header: demand a server nonce in the proof, as an authorization server may (RFC 9449 §8): 400 use_dpop_nonce with a DPoP-Nonce header until the proof carries it.',
    },
  },
  [],
);
export const html = { 'text/html': { type: 'string' } };
