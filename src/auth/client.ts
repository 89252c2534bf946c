import { parseBasic } from './basic';

/**
 * OAuth client authentication (RFC 6749 §2.3) as a request presents it: HTTP Basic, decoded by
 * the one Basic decoder, or credentials in the body.
 */

/** One way a request names a client, and what it gave; judged by the caller. */
export interface PresentedClient {
  id: unknown;
  secret: unknown;
  method: 'HTTP Basic' | 'client_id/client_secret' | 'api_key/api_secret';
}

/** RFC 6749 §2.3.1: client id and secret are form-urlencoded before Basic encoding. */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * The client credentials a request presents, one entry per method it used: HTTP Basic,
 * `client_id`/`client_secret` in the body, or the article's `api_key`/`api_secret`.
 */
export function clientCredentials(
  authorization: string | undefined,
  body: Record<string, unknown>,
): PresentedClient[] {
  const found: PresentedClient[] = [];
  const basic = parseBasic(authorization);
  if (basic.kind === 'basic' || basic.kind === 'malformed') {
    // Broken Basic credentials, or an empty client id, still are the Basic method: they name
    // no client, and are refused as invalid_client.
    const named = basic.kind === 'basic' && basic.user !== '';
    found.push({
      id: named ? formDecode(basic.user) : undefined,
      secret: named ? formDecode(basic.password) : undefined,
      method: 'HTTP Basic',
    });
  }
  if (body.client_id !== undefined || body.client_secret !== undefined) {
    found.push({
      id: body.client_id,
      secret: body.client_secret,
      method: 'client_id/client_secret',
    });
  }
  if (body.api_key !== undefined || body.api_secret !== undefined) {
    found.push({ id: body.api_key, secret: body.api_secret, method: 'api_key/api_secret' });
  }
  return found;
}
