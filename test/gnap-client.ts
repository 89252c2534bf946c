import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import { generateKeyPairSync } from './key-pairs';
import type request from 'supertest';

/**
 * A GNAP client instance (RFC 9635) for the tests, written from RFC 9635 §7.3.1 and RFC 9421
 * §2.5 with node:crypto only, independent of src/ (no RFC 9421 library is installed): its own
 * key, the grant request, and the `httpsig` signature over each request it sends.
 */
export interface GnapClient {
  kid: string;
  /** The public JWK, with kid and alg (RFC 9635 §7.1). */
  jwk: Record<string, string>;
  privateKey: KeyObject;
  alg: 'ed25519' | 'ecdsa-p256-sha256';
}

export function gnapClient(kind: 'ed25519' | 'p256' = 'ed25519', kid?: string): GnapClient {
  const pair =
    kind === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const id = kid ?? `client-${randomBytes(6).toString('hex')}`;
  const jwk = pair.publicKey.export({ format: 'jwk' }) as Record<string, string>;
  return {
    kid: id,
    jwk: { ...jwk, kid: id, alg: kind === 'ed25519' ? 'EdDSA' : 'ES256' },
    privateKey: pair.privateKey,
    alg: kind === 'ed25519' ? 'ed25519' : 'ecdsa-p256-sha256',
  };
}

export interface ToSign {
  method: string;
  url: string;
  authorization?: string;
  body?: string;
  /** Seconds since the epoch: the server's clock, which tests move. */
  created: number;
  /** Overrides, to make bad signatures on purpose. */
  components?: string[];
  tag?: string | null;
  keyid?: string;
  signedUrl?: string;
  /** The `nonce` parameter (RFC 9635 §7.3.1: SHOULD, unique per key within the window). */
  nonce?: string;
}

/** The Signature-Input, Signature (and Content-Digest) fields of an `httpsig` proof. */
export function signedHeaders(client: GnapClient, r: ToSign): Record<string, string> {
  const headers: Record<string, string> = {};
  const values: Record<string, string> = {
    '@method': r.method.toUpperCase(),
    '@target-uri': r.signedUrl ?? r.url,
  };
  const components = ['@method', '@target-uri'];
  if (r.authorization !== undefined) {
    components.push('authorization');
    values.authorization = r.authorization;
  }
  if (r.body !== undefined && r.body.length > 0) {
    const digest = `sha-256=:${createHash('sha256').update(r.body).digest('base64')}:`;
    headers['Content-Digest'] = digest;
    components.push('content-digest');
    values['content-digest'] = digest;
  }
  const covered = r.components ?? components;
  const tag = r.tag === undefined ? ';tag="gnap"' : r.tag === null ? '' : `;tag="${r.tag}"`;
  const nonce = r.nonce === undefined ? '' : `;nonce="${r.nonce}"`;
  const params = `(${covered.map((c) => `"${c}"`).join(' ')});created=${r.created};keyid="${r.keyid ?? client.kid}"${nonce}${tag}`;
  const base = [
    ...covered.map((c) => `"${c}": ${values[c]}`),
    `"@signature-params": ${params}`,
  ].join('\n');
  const data = Buffer.from(base, 'utf8');
  const signature =
    client.alg === 'ed25519'
      ? sign(null, data, client.privateKey)
      : sign('sha256', data, { key: client.privateKey, dsaEncoding: 'ieee-p1363' });
  headers['Signature-Input'] = `sig1=${params}`;
  headers.Signature = `sig1=:${signature.toString('base64')}:`;
  return headers;
}

type Http = () => ReturnType<typeof request>;

/**
 * The origin the client believes it talks to: PUBLIC_URL's default. supertest picks its port
 * only once the request is sent, too late to sign it; the server accepts a signature over
 * PUBLIC_URL as well as over the address it was reached at (test/routes/gnap.test.ts signs the
 * latter through a real socket).
 */
export const GNAP_ORIGIN = 'http://127.0.0.1:3000';

/** POSTs a signed grant request for `access` (RFC 9635 §2) and returns the response. */
export function requestGrant(
  http: Http,
  client: GnapClient,
  created: number,
  access: unknown[] = ['four-oh-one-read'],
  extra: Partial<ToSign> = {},
): request.Test {
  const body = JSON.stringify({
    access_token: { access },
    client: { key: { proof: 'httpsig', jwk: client.jwk } },
  });
  const t = http().post('/gnap/grant');
  const url = `${GNAP_ORIGIN}/gnap/grant`;
  const signed = signedHeaders(client, { method: 'POST', url, body, created, ...extra });
  return t.set({ 'Content-Type': 'application/json', ...signed }).send(body);
}

/** Sends `Authorization: GNAP <token>` to /gnap/resource, signed by `client`. */
export function callResource(
  http: Http,
  client: GnapClient | undefined,
  token: string,
  created: number,
  options: { method?: 'GET' | 'POST'; body?: string; sign?: Partial<ToSign> } = {},
): request.Test {
  const method = options.method ?? 'GET';
  const t = method === 'GET' ? http().get('/gnap/resource') : http().post('/gnap/resource');
  const authorization = `GNAP ${token}`;
  const headers: Record<string, string> = { Authorization: authorization };
  if (client) {
    Object.assign(
      headers,
      signedHeaders(client, {
        method,
        url: `${GNAP_ORIGIN}/gnap/resource`,
        authorization,
        body: options.body,
        created,
        ...options.sign,
      }),
    );
  }
  t.set(headers);
  if (options.body !== undefined) t.set('Content-Type', 'application/json').send(options.body);
  return t;
}
