/**
 * The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OpenID Connect Core §3.1.2.1) read
 * from a query or a form, checked in the order RFC 6749 §4.1.2.1 fixes: first the client and
 * its redirect URI, whose faults are shown to the user and never redirected; then the rest,
 * whose faults go back to the client on its redirect URI with `state` and `iss` (RFC 9207).
 */
import { problem } from '../http/problems';
import { AUTHORIZE_SCOPES, type OAuthClient } from './clients';

/** A request that passed every check: what the login and consent pages carry forward. */
export interface AuthorizationRequest {
  client: OAuthClient;
  redirectUri: string;
  /** The scopes asked for, in order, without repeats. */
  scopes: string[];
  state: string | undefined;
  codeChallenge: string;
  nonce: string | undefined;
  /** OpenID Connect max_age: the login may be at most this old, in seconds. */
  maxAge: number | undefined;
  prompt: ReadonlySet<string>;
  acrValues: string[];
}

/** An error for the client, delivered on its redirect URI (RFC 6749 §4.1.2.1). */
export interface RedirectError {
  redirectUri: string;
  error: string;
  description: string;
  state: string | undefined;
}

export type ParsedRequest =
  { ok: true; request: AuthorizationRequest } | { ok: false; redirect: RedirectError };

/** The parameters a form or a query may carry forward; nothing else is echoed into a page. */
export const REQUEST_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'nonce',
  'max_age',
  'prompt',
  'acr_values',
  'response_mode',
] as const;

/** The scope asked when none is: the API's read scope. */
const DEFAULT_SCOPES = ['data:read'];
/** RFC 6749 Appendix A.5: state is VSCHAR; bounded here, since it is stored and echoed. */
const VSCHARS = /^[\x20-\x7e]*$/;
const MAX_STATE = 512;
const MAX_NONCE = 256;
const MAX_ACR_VALUES = 256;
/** RFC 7636 §4.2: BASE64URL of a SHA-256 digest is exactly 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const PROMPTS = new Set(['none', 'login', 'consent', 'select_account']);

/** One parameter: undefined when absent, `null` when repeated or not text (RFC 6749 §3.1). */
function single(params: Record<string, unknown>, name: string): string | undefined | null {
  const value = params[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : null;
}

/**
 * Reads an authorization request. A bad client_id or redirect_uri throws the problem shown to
 * the user; any other fault is returned as the error to send to the client's redirect URI.
 */
export function parseAuthorizationRequest(
  params: Record<string, unknown>,
  clients: ReadonlyMap<string, OAuthClient>,
): ParsedRequest {
  const clientId = single(params, 'client_id');
  const client = typeof clientId === 'string' ? clients.get(clientId) : undefined;
  if (!client) {
    throw problem('authorize_client_unknown', {
      detail:
        clientId === null
          ? 'client_id must be sent once.'
          : clientId === undefined
            ? 'client_id is required.'
            : 'No client is registered with this client_id.',
    });
  }
  const redirectUri = single(params, 'redirect_uri');
  if (typeof redirectUri !== 'string' || !client.redirectUris.includes(redirectUri)) {
    throw problem('authorize_redirect_uri_invalid', {
      detail:
        typeof redirectUri === 'string'
          ? `This redirect_uri is not registered for ${client.clientId}; registered: ${client.redirectUris.join(', ')}.`
          : `redirect_uri is required, once (registered for ${client.clientId}: ${client.redirectUris.join(', ')}).`,
    });
  }
  // From here on, faults go back to the client, with its state when that state is sound.
  const rawState = single(params, 'state');
  const state =
    typeof rawState === 'string' && rawState.length <= MAX_STATE && VSCHARS.test(rawState)
      ? rawState
      : undefined;
  const refuse = (error: string, description: string): ParsedRequest => ({
    ok: false,
    redirect: { redirectUri, error, description, state },
  });

  const repeated = REQUEST_PARAMS.filter((name) => single(params, name) === null);
  if (repeated.length > 0) {
    return refuse('invalid_request', `Send each parameter once: ${repeated.join(', ')}.`);
  }
  if (rawState !== undefined && state === undefined) {
    return refuse('invalid_request', `state must be at most ${MAX_STATE} printable characters.`);
  }
  const responseType = single(params, 'response_type');
  if (responseType === undefined) return refuse('invalid_request', 'response_type is required.');
  if (responseType !== 'code') {
    return refuse(
      'unsupported_response_type',
      'Only response_type=code is served (the implicit and hybrid flows are not: RFC 9700 2.1.2).',
    );
  }
  const responseMode = single(params, 'response_mode');
  if (responseMode !== undefined && responseMode !== 'query') {
    return refuse('invalid_request', 'Only response_mode=query is served.');
  }
  const challenge = single(params, 'code_challenge');
  const method = single(params, 'code_challenge_method');
  if (challenge === undefined) {
    return refuse(
      'invalid_request',
      'PKCE is required: send code_challenge (BASE64URL of the SHA-256 of your code_verifier) and code_challenge_method=S256.',
    );
  }
  if (method !== 'S256') {
    return refuse(
      'invalid_request',
      method === 'plain'
        ? 'code_challenge_method=plain is refused: it protects nothing once the request is seen. Use S256.'
        : 'code_challenge_method must be S256 (absent means plain, which is refused).',
    );
  }
  if (typeof challenge !== 'string' || !S256_CHALLENGE.test(challenge)) {
    return refuse('invalid_request', 'code_challenge must be 43 base64url characters (S256).');
  }
  const scope = single(params, 'scope');
  const asked =
    typeof scope === 'string' && scope.trim() !== ''
      ? [...new Set(scope.trim().split(/ +/))]
      : DEFAULT_SCOPES;
  const unknown = asked.filter((s) => !(AUTHORIZE_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0 || (scope?.length ?? 0) > 256) {
    return refuse(
      'invalid_scope',
      `Unknown scope; this server grants ${AUTHORIZE_SCOPES.join(', ')}.`,
    );
  }
  const nonce = single(params, 'nonce');
  if (typeof nonce === 'string' && (nonce.length > MAX_NONCE || !VSCHARS.test(nonce))) {
    return refuse('invalid_request', `nonce must be at most ${MAX_NONCE} printable characters.`);
  }
  const maxAge = single(params, 'max_age');
  if (typeof maxAge === 'string' && !/^\d{1,9}$/.test(maxAge)) {
    return refuse('invalid_request', 'max_age must be a whole number of seconds.');
  }
  const prompt = new Set((single(params, 'prompt') ?? '').split(' ').filter(Boolean));
  if ([...prompt].some((p) => !PROMPTS.has(p)) || (prompt.has('none') && prompt.size > 1)) {
    return refuse(
      'invalid_request',
      'prompt must be none alone, or any of login, consent, select_account.',
    );
  }
  const acrValues = single(params, 'acr_values') ?? '';
  if (acrValues.length > MAX_ACR_VALUES || !VSCHARS.test(acrValues)) {
    return refuse('invalid_request', 'acr_values is too long.');
  }
  return {
    ok: true,
    request: {
      client,
      redirectUri,
      scopes: asked,
      state,
      codeChallenge: challenge,
      nonce: nonce ?? undefined,
      maxAge: maxAge === undefined ? undefined : Number(maxAge),
      prompt,
      acrValues: acrValues.split(' ').filter(Boolean),
    },
  };
}

/** The request as the hidden fields of a form carry it, in a fixed order (the CSRF binding). */
export function requestFields(request: AuthorizationRequest): [string, string][] {
  const fields: [string, string | undefined][] = [
    ['response_type', 'code'],
    ['client_id', request.client.clientId],
    ['redirect_uri', request.redirectUri],
    ['scope', request.scopes.join(' ')],
    ['state', request.state],
    ['code_challenge', request.codeChallenge],
    ['code_challenge_method', 'S256'],
    ['nonce', request.nonce],
    ['max_age', request.maxAge === undefined ? undefined : String(request.maxAge)],
    ['prompt', [...request.prompt].join(' ') || undefined],
    ['acr_values', request.acrValues.join(' ') || undefined],
  ];
  return fields.filter((f): f is [string, string] => f[1] !== undefined);
}

/**
 * The Location of an authorization response (RFC 6749 §4.1.2, §4.1.2.1): the redirect URI with
 * the answer's parameters, `state` when the client sent one, and `iss` (RFC 9207 §2), which
 * tells a client that talks to several servers which one answered (mix-up attacks).
 */
export function redirectLocation(
  redirectUri: string,
  answer: Record<string, string>,
  state: string | undefined,
  issuer: string,
): string {
  const query = new URLSearchParams(answer);
  if (state !== undefined) query.set('state', state);
  query.set('iss', issuer);
  return `${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${query.toString()}`;
}
