/**
 * A single-page app on the CORS demo page's origin that signs its user in with the
 * authorization-code flow and PKCE (src/cors-demo.ts serves it as /oauth-demo.js on /oauth/ and
 * on /oauth/callback, the public client's redirect URI there). The verifier and state are made
 * with WebCrypto and kept in sessionStorage for the round trip; the code is exchanged with
 * fetch across origins, the API called with the access token, and the same code can be sent
 * again to see it refused.
 *
 * Signed in with DPoP (RFC 9449), the callback makes a P-256 key pair whose private half cannot
 * be exported, exchanges the code with a proof (src/site/shared/dpop.ts), answers the server's
 * nonce once, and calls the API with `Authorization: DPoP` and a proof per request; each proof is
 * shown decoded, and the page can replay one or send the bound token as Bearer to see both
 * refused. A classic script (loaded with `<script defer>`), so its modules come by import().
 * test/e2e/authorize-browser.test.ts runs it in Chromium.
 */
void (async () => {
  const root = document.getElementById('spa');
  if (!root) return;
  const { base64url, DpopClient, webCryptoKey, webCryptoSha256 } =
    await import('../shared/dpop.js');
  const { decodeJwt } = await import('../shared/jwt.js');
  type DpopAttempt = import('../shared/dpop.js').DpopAttempt<Response>;
  type DpopProof = import('../shared/dpop.js').DpopProof;

  const api = root.dataset.api ?? '';
  const issuer = root.dataset.issuer ?? api;
  const CLIENT_ID = 'four-oh-one-spa';
  const STORAGE = 'four-oh-one:spa-flow';
  const redirectUri = `${location.origin}/oauth/callback`;
  /** The API's data where every DPoP proof must carry a server nonce. */
  const NONCE_PATH = '/api/v1/dpop/nonce';

  const random = (size: number) => base64url(crypto.getRandomValues(new Uint8Array(size)));

  /** One line of the log: what the app did, and what it could read of the answer. */
  function log(id: string, text: string): void {
    const line = document.createElement('li');
    line.dataset.step = id;
    line.textContent = text;
    document.getElementById('spa-log')?.append(line);
  }

  /** The flow's state across the round trip to the authorization server. */
  interface Saved {
    verifier: string;
    state: string;
    dpop?: boolean;
    /** Ask the token endpoint to demand a server nonce (dpop_nonce=required). */
    nonce?: boolean;
  }

  async function signIn(dpop: boolean): Promise<void> {
    const verifier = random(32);
    const state = random(16);
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
    const nonceBox = document.getElementById('spa-dpop-nonce');
    const nonce = nonceBox instanceof HTMLInputElement && nonceBox.checked;
    const saved: Saved = { verifier, state, ...(dpop ? { dpop, nonce } : {}) };
    sessionStorage.setItem(STORAGE, JSON.stringify(saved));
    const url = new URL(`${api}/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: redirectUri,
      scope: 'openid data:read',
      state,
      code_challenge: base64url(new Uint8Array(digest)),
      code_challenge_method: 'S256',
    }).toString();
    location.assign(url.toString());
  }

  /** The token request's form: a form body, which alone needs no preflight. */
  const tokenForm = (code: string, verifier: string, extra: Record<string, string> = {}) =>
    new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: CLIENT_ID,
      code_verifier: verifier,
      ...extra,
    });

  /** POST /auth/token without a proof. */
  async function exchange(code: string, verifier: string): Promise<Response> {
    return fetch(`${api}/auth/token`, { method: 'POST', body: tokenForm(code, verifier) });
  }

  interface Answer {
    access_token?: string;
    token_type?: string;
    scope?: string;
    code?: string;
    error?: string;
  }
  const codeOf = async (res: Response) => (await res.json()) as Answer;
  /**
   * A refusal as the script reads it: the OAuth error and this server's code beside it (the
   * token endpoint), or the problem's code (the API).
   */
  const refusalOf = async (res: Response) => {
    const body = await codeOf(res.clone()).catch((): Answer => ({}));
    if (body.error === undefined) return body.code ?? '';
    return body.code && body.code !== body.error ? `${body.error} (code ${body.code})` : body.error;
  };

  async function callback(): Promise<void> {
    const query = new URLSearchParams(location.search);
    const saved = JSON.parse(sessionStorage.getItem(STORAGE) ?? 'null') as Saved | null;
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
    if (saved.dpop) {
      await withDpop(code, saved);
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

  // --- DPoP --------------------------------------------------------------------------------------

  const pretty = (value: unknown) => JSON.stringify(value, null, 2);

  function element<K extends keyof HTMLElementTagNameMap>(
    tag: K,
    text = '',
  ): HTMLElementTagNameMap[K] {
    const el = document.createElement(tag);
    if (text) el.textContent = text;
    return el;
  }

  /** A proof as sent, decoded, with the answer it got: the page's record of each request. */
  function showProof(title: string, proof: DpopProof, res: Response, refusal: string): void {
    const box = element('section');
    box.className = 'step';
    box.dataset.proof = title;
    box.append(element('h3', title));
    box.append(element('p', 'The DPoP header’s JWT, decoded. Header:'));
    const header = element('pre', pretty(proof.header));
    header.className = 'observed';
    box.append(header, element('p', 'Payload:'));
    const payload = element('pre', pretty(proof.payload));
    payload.className = 'observed';
    box.append(payload);
    const nonce = res.headers.get('DPoP-Nonce');
    const challenge = res.headers.get('WWW-Authenticate');
    const answer = [`Answer: ${res.status}${refusal ? ` ${refusal}` : ''}`];
    if (challenge) answer.push(`WWW-Authenticate: ${challenge}`);
    if (nonce) answer.push(`DPoP-Nonce: ${nonce}`);
    const said = element('pre', answer.join('\n'));
    said.className = 'observed';
    box.append(said);
    document.getElementById('spa-proofs')?.append(box);
  }

  /** Logs and shows each attempt of one DPoP request; gives back the last one. */
  async function record(
    step: string,
    what: string,
    attempts: DpopAttempt[],
    success: (res: Response) => Promise<string>,
  ): Promise<DpopAttempt> {
    for (const [i, { proof, response }] of attempts.entries()) {
      const refusal = response.ok ? '' : await refusalOf(response);
      const retried = i > 0;
      const title = `${what}${retried ? ', again with the nonce' : ''}`;
      showProof(title, proof, response, refusal);
      const said = response.ok ? await success(response) : `${response.status} ${refusal}`;
      if (i < attempts.length - 1) {
        log(`${step}-nonce`, `${what} with a DPoP proof: ${said}, DPoP-Nonce given`);
      } else {
        log(
          step,
          `${what} with ${retried ? 'a new proof carrying that nonce' : 'a DPoP proof'}: ${said}`,
        );
      }
    }
    const last = attempts[attempts.length - 1];
    if (!last) throw new Error('no attempt');
    return last;
  }

  async function withDpop(code: string, saved: Saved): Promise<void> {
    // Not extractable: no script, this one included, can ever read the private key; it can
    // only ask the browser to sign with it (RFC 9449 §2, §11.4).
    const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
    ]);
    const client = new DpopClient(
      await webCryptoKey(crypto.subtle, pair),
      webCryptoSha256(crypto.subtle),
    );
    const jkt = await client.thumbprint();
    log(
      'key',
      `A P-256 key pair from WebCrypto, private key not extractable; its public key’s thumbprint (RFC 7638) is ${jkt}`,
    );

    const extra: Record<string, string> = saved.nonce ? { dpop_nonce: 'required' } : {};
    let scope = '';
    let tokenType = '';
    let token = '';
    const exchanged = await record(
      'exchange',
      'POST /auth/token',
      await client.fetch(fetch, `${api}/auth/token`, {
        method: 'POST',
        body: tokenForm(code, saved.verifier, extra),
      }),
      async (res) => {
        const body = await codeOf(res);
        token = body.access_token ?? '';
        tokenType = body.token_type ?? '';
        scope = body.scope ?? '';
        return `${res.status}, token_type ${tokenType}, scope ${scope}`;
      },
    );
    if (!exchanged.response.ok) return;

    const read = decodeJwt(token);
    const cnf = read.ok ? (read.payload.cnf as { jkt?: unknown } | undefined) : undefined;
    const bound = typeof cnf?.jkt === 'string' ? cnf.jkt : '(none)';
    log(
      'binding',
      bound === jkt
        ? `The access token’s cnf.jkt is ${bound}: this key’s thumbprint, so the token is bound to it.`
        : `The access token’s cnf.jkt is ${bound}, not this key’s thumbprint ${jkt}.`,
    );

    const dataUrl = `${api}/api/v1/data`;
    const data = await record(
      'api',
      'GET /api/v1/data',
      await client.fetch(fetch, dataUrl, { method: 'GET', accessToken: token }),
      (res) => Promise.resolve(`${res.status}`),
    );
    if (!data.response.ok) return;
    offer('spa-replay', async () => {
      // The very proof the last call carried, with the same token: a copy of the request, as
      // someone who captured it would send it (RFC 9449 §11.1).
      const replayed = await fetch(dataUrl, {
        headers: { Authorization: `DPoP ${token}`, DPoP: data.proof.proof },
      });
      const refusal = await refusalOf(replayed);
      showProof('GET /api/v1/data, the same proof again', data.proof, replayed, refusal);
      log('replay', `The same proof again: ${replayed.status} ${refusal}`);
    });
    offer('spa-nonce-api', async () => {
      // A route that demands a server nonce in every proof (RFC 9449 §9): a proof without one,
      // or with one that expired, gets 401 use_dpop_nonce and a DPoP-Nonce to retry with.
      await record(
        'nonce-api',
        `GET ${NONCE_PATH}`,
        await client.fetch(fetch, `${api}${NONCE_PATH}`, { method: 'GET', accessToken: token }),
        (res) => Promise.resolve(`${res.status}`),
      );
    });
    offer('spa-as-bearer', async () => {
      const asBearer = await fetch(dataUrl, { headers: { Authorization: `Bearer ${token}` } });
      log(
        'bearer',
        `The DPoP-bound token as Bearer, without a proof: ${asBearer.status} ${await refusalOf(asBearer)}`,
      );
    });
  }

  /** Shows a button and runs `action` on its first click. */
  function offer(id: string, action: () => Promise<void>): void {
    const button = document.getElementById(id);
    if (!(button instanceof HTMLButtonElement)) return;
    button.hidden = false;
    button.addEventListener('click', () => {
      button.disabled = true;
      void action();
    });
  }

  document.getElementById('spa-login')?.addEventListener('click', () => void signIn(false));
  document.getElementById('spa-login-dpop')?.addEventListener('click', () => void signIn(true));
  if (location.pathname === '/oauth/callback') void callback();
  root.dataset.ready = 'true';
})();
