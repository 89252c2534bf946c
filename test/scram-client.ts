import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type request from 'supertest';
import type { ScramMechanism } from '../src/auth/scram';

/**
 * A SCRAM client over HTTP (RFC 7804 §5) written from RFC 5802 §3 and §7, for the tests: no
 * SCRAM-over-HTTP client exists in npm or Debian. `send` makes one GET with an Authorization
 * value; the client runs the two rounds and checks the server's signature itself.
 */
export interface ScramRun {
  first: request.Response;
  final: request.Response;
  /** The Authorization value of the client-final message, to send again. */
  finalAuthorization: string;
  sid: string;
  /** Whether Authentication-Info's v= is the ServerSignature the client expects. */
  serverVerified: boolean;
}

/** RFC 5802 §3, written out here rather than taken from src/auth/scram.ts, so that it checks it. */
function proofOf(
  m: ScramMechanism,
  password: string,
  salt: Buffer,
  i: number,
  authMessage: string,
) {
  const h = m === 'SCRAM-SHA-1' ? 'sha1' : 'sha256';
  const mac = (key: Buffer, text: string) => createHmac(h, key).update(text).digest();
  const salted = pbkdf2Sync(password, salt, i, h === 'sha1' ? 20 : 32, h);
  const clientKey = mac(salted, 'Client Key');
  const signature = mac(createHash(h).update(clientKey).digest(), authMessage);
  return {
    proof: Buffer.from(clientKey.map((x, k) => x ^ (signature[k] as number))),
    serverSignature: mac(mac(salted, 'Server Key'), authMessage),
  };
}

const b64 = (text: string) => Buffer.from(text).toString('base64');
const unb64 = (data: string) => Buffer.from(data, 'base64').toString('utf8');

/** `sid=…, data=…` from a WWW-Authenticate or Authentication-Info value. */
export function scramParams(value: string | undefined): { sid?: string; data?: string } {
  const out: Record<string, string> = {};
  for (const m of (value ?? '').matchAll(/\b(sid|data)=([^,\s]+)/g)) out[m[1]!] = m[2]!;
  return out;
}

export async function scramExchange(
  send: (authorization: string) => Promise<request.Response>,
  options: { mechanism: ScramMechanism; user: string; password: string },
): Promise<ScramRun> {
  const { mechanism: m, user, password } = options;
  const clientNonce = randomBytes(18).toString('base64');
  const bare = `n=${user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${clientNonce}`;
  const first = await send(`${m} data=${b64(`n,,${bare}`)}`);
  const challenge = scramParams(first.headers['www-authenticate'] as string | undefined);
  const serverFirst = unb64(challenge.data ?? '');
  const attrs = Object.fromEntries(serverFirst.split(',').map((a) => [a[0], a.slice(2)]));
  if (!attrs.r?.startsWith(clientNonce)) throw new Error(`server nonce: ${serverFirst}`);
  const withoutProof = `c=${b64('n,,')},r=${attrs.r}`;
  const authMessage = `${bare},${serverFirst},${withoutProof}`;
  const { proof, serverSignature } = proofOf(
    m,
    password,
    Buffer.from(attrs.s ?? '', 'base64'),
    Number(attrs.i),
    authMessage,
  );
  const sid = challenge.sid ?? '';
  const finalAuthorization = `${m} sid=${sid}, data=${b64(`${withoutProof},p=${proof.toString('base64')}`)}`;
  const final = await send(finalAuthorization);
  const info = scramParams(final.headers['authentication-info'] as string | undefined);
  const v = info.data === undefined ? '' : unb64(info.data);
  return {
    first,
    final,
    finalAuthorization,
    sid,
    serverVerified: info.sid === sid && v === `v=${serverSignature.toString('base64')}`,
  };
}
