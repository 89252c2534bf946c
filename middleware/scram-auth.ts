import { createHmac, randomBytes } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { REALM } from '../src/auth/challenges';
import { schemeOf } from '../src/auth/scheme';
import {
  decodeData,
  readClientFinal,
  readClientFirst,
  readScramParams,
  SCRAM_ITERATIONS,
  SCRAM_MECHANISMS,
  scramCredentials,
  ScramMalformed,
  serverFirst,
  verifyProof,
  type ScramCredentials,
  type ScramMechanism,
} from '../src/auth/scram';
import { problem } from '../src/http/problems';
import type { ProblemCode } from '../src/scenarios/catalog';
import type { Store } from '../src/store';

export interface ScramAuthOptions {
  store: Store;
  /** Who is asking: an exchange is charged to, and continued only by, the visitor who began it. */
  owner: (req: Request) => string;
  /** User name → password; each is salted and hashed once, here. */
  accounts: Record<string, string>;
  /** A fixed salt per mechanism for the accounts (the RFCs' own, so that their vectors apply). */
  salts: Record<ScramMechanism, Buffer>;
  /** Keys the made-up salt of an unknown user, so that it is the same every time it is asked. */
  secret: Buffer;
  /** How long a sid waits for the client-final message; 60 seconds unless a test says otherwise. */
  ttlMs?: number;
}

/** What the store keeps between the two rounds, under the sid. */
interface Exchange {
  m: ScramMechanism;
  user: string;
  gs2: string;
  bare: string;
  serverFirst: string;
  nonce: string;
  owner: string;
}

const CHALLENGE = SCRAM_MECHANISMS.map((m) => `${m} realm="${REALM}"`).join(', ');
const SID = /^[A-Za-z0-9_-]{22}$/;
const key = (sid: string) => `scram:${sid}`;

/**
 * RFC 7804: SCRAM-SHA-256 and SCRAM-SHA-1 over HTTP, two rounds of 401. The client-first message
 * gets a 401 with a `sid` and the server-first message; the client-final message, sent with that
 * sid, is checked against the stored exchange (used once, 60 seconds, only by its visitor), and
 * the success carries the ServerSignature in `Authentication-Info: sid=…, data=…`.
 */
export function scramAuth(options: ScramAuthOptions): RequestHandler {
  const ttl = options.ttlMs ?? 60_000;
  const known = new Map<string, Record<ScramMechanism, ScramCredentials>>();
  for (const [user, password] of Object.entries(options.accounts)) {
    known.set(user, {
      'SCRAM-SHA-256': scramCredentials('SCRAM-SHA-256', password, options.salts['SCRAM-SHA-256']),
      'SCRAM-SHA-1': scramCredentials('SCRAM-SHA-1', password, options.salts['SCRAM-SHA-1']),
    });
  }
  /**
   * An unknown user gets a salt and keys that look real and never verify (RFC 5802 §9: the
   * server-first message must not tell a guesser which user names exist).
   */
  const credentialsOf = (m: ScramMechanism, user: string): ScramCredentials => {
    const real = known.get(user)?.[m];
    if (real) return real;
    const mac = (what: string) =>
      createHmac('sha256', options.secret).update(`scram|${m}|${what}|${user}`).digest();
    const length = m === 'SCRAM-SHA-1' ? 20 : 32;
    return {
      salt: mac('salt').subarray(0, options.salts[m].length),
      iterations: SCRAM_ITERATIONS,
      storedKey: mac('stored').subarray(0, length),
      serverKey: mac('server').subarray(0, length),
    };
  };
  const refuse = (code: ProblemCode, detail: string) =>
    problem(code, { detail, headers: { 'WWW-Authenticate': CHALLENGE } });
  /** Runs a reader, answering what it cannot read with a 400 `scram_malformed`. */
  const readable = <T>(read: () => T): T => {
    try {
      return read();
    } catch (e) {
      if (e instanceof ScramMalformed) throw problem('scram_malformed', { detail: e.message });
      throw e;
    }
  };

  return async function scramAuthMiddleware(req, res, next) {
    const header = req.headers.authorization ?? '';
    const sent = schemeOf(header);
    const m = SCRAM_MECHANISMS.find((x) => x.toLowerCase() === sent.toLowerCase());
    if (m === undefined) {
      throw refuse(
        'scram_credentials_missing',
        header === ''
          ? 'Start the exchange: Authorization: SCRAM-SHA-256 data=<base64 client-first message>.'
          : 'This resource takes SCRAM-SHA-256 or SCRAM-SHA-1 only.',
      );
    }
    const { params, text } = readable(() => {
      const read = readScramParams(header.slice(sent.length));
      if (read.data === undefined) throw new ScramMalformed('data= is missing.');
      return { params: read, text: decodeData(read.data) };
    });
    const owner = options.owner(req);
    if (params.sid === undefined) {
      const first = readable(() => readClientFirst(text));
      if (typeof first.binding === 'object') {
        throw refuse(
          'scram_channel_binding_unsupported',
          `Channel binding (${first.binding.p}) needs TLS; this server offers no SCRAM-*-PLUS. Send the GS2 header "n,,".`,
        );
      }
      const nonce = first.nonce + randomBytes(18).toString('base64');
      const sid = randomBytes(16).toString('base64url');
      const sFirst = serverFirst(nonce, credentialsOf(m, first.user));
      const exchange: Exchange = {
        m,
        user: first.user,
        gs2: first.gs2,
        bare: first.bare,
        serverFirst: sFirst,
        nonce,
        owner,
      };
      await options.store.set(key(sid), JSON.stringify(exchange), ttl, owner);
      throw problem('scram_continue', {
        detail: 'Answer with the client-final message and this sid, within 60 seconds.',
        headers: {
          'WWW-Authenticate': `${m} sid=${sid}, data=${Buffer.from(sFirst).toString('base64')}`,
        },
      });
    }
    const sid = params.sid;
    const stored = SID.test(sid) ? await options.store.get(key(sid)) : undefined;
    const exchange = stored === undefined ? undefined : (JSON.parse(stored) as Exchange);
    if (exchange === undefined || exchange.owner !== owner || exchange.m !== m) {
      throw refuse(
        'scram_sid_invalid',
        'This sid is unknown, used, expired (60 seconds) or another mechanism’s: start again.',
      );
    }
    const final = readable(() => readClientFinal(text));
    // Used once, right or wrong: exactly one request may consume it.
    if (!(await options.store.delete(key(sid)))) {
      throw refuse('scram_sid_invalid', 'This sid was used a moment ago: start again.');
    }
    if (
      final.nonce !== exchange.nonce ||
      final.channelBinding !== Buffer.from(exchange.gs2).toString('base64')
    ) {
      throw refuse(
        'scram_sid_invalid',
        final.nonce !== exchange.nonce
          ? 'The nonce (r=) is not the one this sid issued: a replayed or foreign client-final message.'
          : 'c= is not the base64 of the GS2 header the client-first message sent.',
      );
    }
    const authMessage = `${exchange.bare},${exchange.serverFirst},${final.withoutProof}`;
    const signature = verifyProof(m, credentialsOf(m, exchange.user), authMessage, final.proof);
    if (signature === undefined) {
      throw refuse('scram_proof_invalid', 'The ClientProof does not verify: start again.');
    }
    res.setHeader(
      'Authentication-Info',
      `sid=${sid}, data=${Buffer.from(`v=${signature.toString('base64')}`).toString('base64')}`,
    );
    res.locals.scram = { user: exchange.user, mechanism: m };
    next();
  };
}
