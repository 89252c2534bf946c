/**
 * The script of GET /hoba (src/site/hoba-page.ts), served as /hoba-demo.js: HOBA (RFC 7486) from
 * a browser. A key pair by WebCrypto, the registration of RFC 7486 §6.1 signed with the new key,
 * then the resource with a signed challenge; every request and answer is listed. A classic
 * script, loaded with `<script defer>`, so its one dependency comes by import().
 */
void (async () => {
  const { hobaOrigin, hobaTbs } = await import('../shared/hoba.js');
  const button = document.getElementById('hoba-run') as HTMLButtonElement;
  const log = document.getElementById('hoba-log') as HTMLOListElement;
  const ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

  const b64url = (bytes: ArrayBuffer | Uint8Array): string => {
    let text = '';
    for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
    return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  const pem = (spki: ArrayBuffer): string => {
    const lines = btoa(String.fromCharCode(...new Uint8Array(spki))).match(/.{1,64}/g) ?? [];
    return `-----BEGIN PUBLIC KEY-----\n${lines.join('\n')}\n-----END PUBLIC KEY-----\n`;
  };
  /** One step of the log: what was sent, what came back. */
  const show = (title: string, sent: string, response: Response, body: string): void => {
    const item = document.createElement('li');
    item.dataset.status = String(response.status);
    const head = document.createElement('strong');
    head.textContent = `${title}: ${response.status}`;
    const pre = document.createElement('pre');
    const headers = ['www-authenticate', 'hobareg']
      .map((h) => [h, response.headers.get(h)] as const)
      .filter(([, v]) => v !== null)
      .map(([h, v]) => `${h}: ${v}`);
    pre.textContent = [sent, '', ...headers, body].join('\n');
    item.append(head, pre);
    log.append(item);
  };
  /** The parameters of a HOBA challenge (RFC 7486 §3), from a WWW-Authenticate value. */
  const challengeOf = (header: string | null): { challenge: string; realm: string } => {
    const param = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(header ?? '')?.[1] ?? '';
    return { challenge: param('challenge'), realm: param('realm') };
  };

  async function run(): Promise<void> {
    log.replaceChildren();
    const keys = await crypto.subtle.generateKey(
      { ...ALGORITHM, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
      false,
      ['sign', 'verify'],
    );
    const spki = await crypto.subtle.exportKey('spki', keys.publicKey);
    // kidtype 0: the kid is the SHA-256 of the public key (RFC 7486 §6.1).
    const kid = b64url(await crypto.subtle.digest('SHA-256', spki));
    const origin = hobaOrigin(location.protocol, location.hostname, location.port);
    const sign = async (header: string | null): Promise<string> => {
      const { challenge, realm } = challengeOf(header);
      const nonce = b64url(crypto.getRandomValues(new Uint8Array(16)));
      const tbs = hobaTbs({ nonce, alg: '0', origin, realm, kid, challenge });
      const sig = await crypto.subtle.sign(
        ALGORITHM,
        keys.privateKey,
        new TextEncoder().encode(tbs),
      );
      return `HOBA result="${kid}.${challenge}.${nonce}.${b64url(sig)}"`;
    };
    const form = new URLSearchParams({
      kidtype: '0',
      kid,
      didtype: '0',
      did: 'this browser',
      alg: '0',
      pub: pem(spki),
    });
    const register = (authorization?: string) =>
      fetch('/.well-known/hoba/register', {
        method: 'POST',
        body: form,
        headers: authorization ? { Authorization: authorization } : {},
      });
    let r = await register();
    show('POST /.well-known/hoba/register, unsigned', form.toString(), r, await r.text());
    let authorization = await sign(r.headers.get('WWW-Authenticate'));
    r = await register(authorization);
    show(
      'POST /.well-known/hoba/register, signed',
      `Authorization: ${authorization}`,
      r,
      await r.text(),
    );
    if (r.status !== 200) throw new Error('registration refused');
    r = await fetch('/hoba/resource');
    show('GET /hoba/resource, unsigned', '(no Authorization)', r, await r.text());
    authorization = await sign(r.headers.get('WWW-Authenticate'));
    const signed = await fetch('/hoba/resource', { headers: { Authorization: authorization } });
    show(
      'GET /hoba/resource, signed',
      `Authorization: ${authorization}`,
      signed,
      await signed.text(),
    );
    r = await fetch('/hoba/resource', { headers: { Authorization: authorization } });
    show(
      'GET /hoba/resource, the same result again',
      `Authorization: ${authorization}`,
      r,
      await r.text(),
    );
    document.body.dataset.result = signed.status === 200 ? 'authenticated' : 'refused';
  }

  button.addEventListener('click', () => {
    button.disabled = true;
    run()
      .catch((e: unknown) => {
        document.body.dataset.result = `error: ${e instanceof Error ? e.message : String(e)}`;
      })
      .finally(() => {
        button.disabled = false;
      });
  });
  button.disabled = !window.isSecureContext;
  document.body.dataset.ready = window.isSecureContext ? 'true' : 'insecure';
})();
