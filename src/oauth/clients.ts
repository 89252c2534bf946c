/**
 * The registered clients of the authorization-code flow (RFC 6749 §2): a public browser client
 * and a confidential web client, both held to PKCE (RFC 9700 §2.1.1), each with redirect URIs
 * compared by exact string (RFC 9700 §4.1.3). Their ids and the web client's secret are public
 * demo values, printed in the README like every other demo credential.
 */
import type { Config } from '../config';

/** The public browser client (a single-page app): no secret, PKCE S256 required. */
export const SPA_CLIENT_ID = 'four-oh-one-spa';
/** The confidential web client: authenticates with its secret, PKCE still required. */
export const WEB_CLIENT_ID = 'four-oh-one-web';
export const WEB_CLIENT_SECRET = 'four-oh-one-web-secret';

/** The path of the callback page this server serves for both clients (routes/authorize.ts). */
export const CALLBACK_PATH = '/oauth/callback';

export interface OAuthClient {
  clientId: string;
  /** RFC 6749 §2.1: a public client has no secret; its code is protected by PKCE alone. */
  public: boolean;
  /** The exact redirect URIs; anything else is refused on an error page, never redirected to. */
  redirectUris: readonly string[];
  /** What the consent page calls it. */
  name: string;
}

/** Scopes an authorization request may ask for: OpenID Connect's and the API's. */
export const AUTHORIZE_SCOPES = ['openid', 'profile', 'data:read', 'admin'] as const;
/** The scopes every user may be granted besides their own API scopes. */
export const OIDC_SCOPES = ['openid', 'profile'];

/** The origin of the CORS demo page (a second origin, src/cors-demo.ts), when it is started. */
export function demoOrigin(config: Pick<Config, 'publicUrl' | 'cors'>): string | undefined {
  if (config.cors.demoPort === 0) return undefined;
  const url = new URL(config.publicUrl);
  url.port = String(config.cors.demoPort);
  return url.origin;
}

/** The two registered clients, their redirect URIs built from PUBLIC_URL and the demo origin. */
export function registeredClients(
  config: Pick<Config, 'publicUrl' | 'cors'>,
): Map<string, OAuthClient> {
  const callback = `${config.publicUrl}${CALLBACK_PATH}`;
  const demo = demoOrigin(config);
  return new Map([
    [
      SPA_CLIENT_ID,
      {
        clientId: SPA_CLIENT_ID,
        public: true,
        redirectUris: demo === undefined ? [callback] : [callback, `${demo}${CALLBACK_PATH}`],
        name: 'four-oh-one browser app (public client)',
      },
    ],
    [
      WEB_CLIENT_ID,
      {
        clientId: WEB_CLIENT_ID,
        public: false,
        redirectUris: [callback],
        name: 'four-oh-one web app (confidential client)',
      },
    ],
  ]);
}
