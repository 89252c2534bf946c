/**
 * A single-page app on the CORS demo page's origin that signs its user in with the
 * authorization-code flow and PKCE (src/cors-demo.ts serves it as /oauth-demo.js on /oauth/ and
 * on /oauth/callback, the public client's redirect URI there). The verifier and state are made
 * with WebCrypto and kept in sessionStorage for the round trip; the code is exchanged with
 * fetch across origins, the API called with the access token, and the same code can be sent
 * again to see it refused. test/e2e/authorize-browser.test.ts runs it in Chromium.
 */
(() => {
  const root = document.getElementById('spa');
  if (!root) return;
  const api = root.dataset.api ?? '';
  const issuer = root.dataset.issuer ?? api;
  const CLIENT_ID = 'four-oh-one-spa';
  const STORAGE = 'four-oh-one:spa-flow';
  const redirectUri = `${location.origin}/oauth/callback`;

  const b64url = (bytes: Uint8Array) =>
    btoa(String.fromCharCode(...bytes))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
  const random = (size: number) => b64url(crypto.getRandomValues(new Uint8Array(size)));

  /** One line of the log: what the app did, and what it could read of the answer. */
  function log(id: string, text: string): void {
    const line = document.createElement('li');
    line.dataset.step = id;
    line.textContent = text;
    document.getElementById('spa-log')?.append(line);
  }

  async function signIn(): Promise<void> {
    const verifier = random(32);
    const state = random(16);
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
    sessionStorage.setItem(STORAGE, JSON.stringify({ verifier, state }));
    const url = new URL(`${api}/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: redirectUri,
      scope: 'openid data:read',
      state,
      code_challenge: b64url(new Uint8Array(digest)),
      code_challenge_method: 'S256',
    }).toString();
    location.assign(url.toString());
  }

  /** POST /auth/token: a form body, which needs no preflight. */
  async function exchange(code: string, verifier: string): Promise<Response> {
    return fetch(`${api}/auth/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: CLIENT_ID,
        code_verifier: verifier,
      }),
    });
  }

  interface TokenAnswer {
    access_token?: string;
    scope?: string;
    code?: string;
  }
  const codeOf = async (res: Response) => (await res.json()) as TokenAnswer;

  async function callback(): Promise<void> {
    const query = new URLSearchParams(location.search);
    const saved = JSON.parse(sessionStorage.getItem(STORAGE) ?? 'null') as {
      verifier: string;
      state: string;
    } | null;
    sessionStorage.removeItem(STORAGE);
    if (query.get('error')) {
      log('refused', `The authorization server answered error=${query.get('error') ?? ''}.`);
      return;
    }
    const code = query.get('code');
    if (!saved || !code || query.get('state') !== saved.state) {
      log('state', 'The state is not the one this app sent: the code is not exchanged.');
      return;
    }
    // RFC 9207: the answer names its issuer; a client that talks to several checks it.
    if (query.get('iss') !== issuer) {
      log('iss', 'The iss is not the authorization server this app asked: not exchanged.');
      return;
    }
    const res = await exchange(code, saved.verifier);
    const body = await codeOf(res);
    log('exchange', `POST /auth/token: ${res.status}, scope ${body.scope ?? body.code ?? ''}`);
    if (!res.ok) return;
    const token = body.access_token ?? '';
    const data = await fetch(`${api}/api/v1/data`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    log('api', `GET /api/v1/data with the access token: ${data.status}`);
    const again = document.getElementById('spa-again');
    if (!(again instanceof HTMLButtonElement)) return;
    again.hidden = false;
    again.addEventListener('click', () => {
      again.disabled = true;
      void exchange(code, saved.verifier).then(async (second) => {
        const refused = await codeOf(second);
        log('again', `The same code again: ${second.status} ${refused.code ?? ''}`);
        const after = await fetch(`${api}/api/v1/data`, {
          headers: { Authorization: `Bearer ${token}` },
        });
        log('revoked', `GET /api/v1/data with the first access token: ${after.status}`);
      });
    });
  }

  document.getElementById('spa-login')?.addEventListener('click', () => void signIn());
  if (location.pathname === '/oauth/callback') void callback();
  root.dataset.ready = 'true';
})();
