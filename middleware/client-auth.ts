import type { Request, RequestHandler } from 'express';
import { clientCredentials } from '../src/auth/client';
import { SPA_CLIENT_ID } from '../src/oauth/clients';
import { PUBLIC_CLIENT_ID, type Directory } from '../src/tokens/identities';
import { invalidClient, oauthError } from '../src/http/problems';
import {
  clientAccount,
  MAX_ACCOUNT_NAME,
  refusedWith,
  userAccount,
  type FailureLimiter,
} from './rate-limit';

export interface ClientAuthOptions {
  directory: Directory;
  /** Refuse requests that carry no client credentials at all. */
  required: boolean;
  /**
   * Accept the public client (RFC 6749 §2.1) named by `client_id` alone, without a secret. Off
   * where only a client that authenticates may come (introspection).
   */
  publicClients?: boolean;
}

/**
 * Authenticates an OAuth client (RFC 6749 §2.3): HTTP Basic, or `client_id`/`client_secret` in
 * the body, or the article's `api_key`/`api_secret`. Exactly one method may be used. A public
 * client names itself with `client_id` alone (RFC 6749 §3.2.1), where `publicClients` allows.
 * Puts the client in `res.locals.client`; bad credentials are 401 invalid_client with a Basic
 * challenge.
 */
export function clientAuth(options: ClientAuthOptions): RequestHandler {
  if (!options?.directory) throw new TypeError('clientAuth: directory is required');
  const { directory, required, publicClients = false } = options;

  return function clientAuthMiddleware(req, res, next) {
    const methods = clientCredentials(
      req.headers.authorization,
      (req.body ?? {}) as Record<string, unknown>,
    );
    if (methods.length > 1) {
      throw oauthError(
        'invalid_request',
        'invalid_request',
        `Use one client authentication method, not ${methods.map((m) => m.method).join(' and ')}.`,
      );
    }
    const [creds] = methods;
    if (!creds) {
      if (required)
        throw invalidClient(
          'This endpoint needs client authentication (HTTP Basic or client_id/client_secret).',
        );
      next();
      return;
    }
    if (creds.method === 'client_id/client_secret' && creds.secret === undefined) {
      const publicClient =
        typeof creds.id === 'string' ? directory.publicClient(creds.id) : undefined;
      if (publicClient && publicClients) {
        res.locals.client = publicClient;
        next();
        return;
      }
      if (publicClient) {
        throw invalidClient(
          `${publicClient.clientId} is a public client: it has no secret, and this endpoint answers only a client that authenticates.`,
        );
      }
      if (typeof creds.id === 'string') {
        // The same words for a known and an unknown client_id: nothing tells which exist.
        throw invalidClient(
          `Only the public clients ${PUBLIC_CLIENT_ID} and ${SPA_CLIENT_ID} may leave out client_secret; any other client_id needs its secret.`,
        );
      }
    }
    if (
      creds.method !== 'HTTP Basic' &&
      (typeof creds.id !== 'string' || typeof creds.secret !== 'string')
    ) {
      throw oauthError(
        'invalid_request',
        'invalid_request',
        `Send both ${creds.method} as strings.`,
      );
    }
    const client =
      typeof creds.id === 'string' && typeof creds.secret === 'string'
        ? directory.authenticateClient(creds.id, creds.secret)
        : undefined;
    if (!client) throw invalidClient('The client credentials are not valid.');
    res.locals.client = client;
    next();
  };
}

const bodyOf = (req: Request) => (req.body ?? {}) as Record<string, unknown>;

/**
 * The throttle of the OAuth endpoints (/auth/token, /auth/revoke, /auth/introspect), on the
 * limiter every other secret check shares. It counts refused client credentials (401
 * invalid_client for credentials that were sent, not for none) and the password grant's wrong
 * password (400 invalid_grant); malformed requests, a refused refresh token and 503s do not
 * count. The account is the password grant's user, else the client. A 429 keeps the OAuth
 * body: `error` is `slow_down`, registered for the token endpoint by RFC 8628 §3.5 ("slow
 * down"), since RFC 6749 §5.2 has no word for it and its `invalid_request` or `invalid_client`
 * would send a client looking for a fault in a request that had none.
 */
export function clientCredentialLimit(
  limiter: FailureLimiter,
  directory: Directory,
): RequestHandler {
  const refusedClient = refusedWith('invalid_client');
  return limiter.guard({
    account(req) {
      const body = bodyOf(req);
      if (body.grant_type === 'password') {
        if (typeof body.username === 'string' && body.username.length > MAX_ACCOUNT_NAME) {
          throw oauthError(
            'invalid_request',
            'invalid_request',
            `"username" must be at most ${MAX_ACCOUNT_NAME} characters.`,
          );
        }
        return userAccount(directory, body.username);
      }
      const [creds] = clientCredentials(req.headers.authorization, body);
      return clientAccount(directory, creds?.id);
    },
    counts(req, res) {
      if (res.locals.problemCode === 'invalid_grant') return bodyOf(req).grant_type === 'password';
      return (
        refusedClient(req, res) &&
        clientCredentials(req.headers.authorization, bodyOf(req)).length > 0
      );
    },
    refuse: (detail, headers) => oauthError('too_many_attempts', 'slow_down', detail, headers),
  });
}
