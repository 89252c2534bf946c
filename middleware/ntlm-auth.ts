import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Request, RequestHandler } from 'express';
import { schemeOf } from '../src/auth/scheme';
import {
  blobTimestamp,
  challengeMessage,
  classifyToken,
  fileTime,
  NTLM_DNS_DOMAIN,
  NTLM_DOMAIN,
  ntHash,
  ntlmV2Verifies,
  NtlmMalformed,
  readAuthenticate,
  readNegotiate,
} from '../src/auth/ntlm';
import { problem } from '../src/http/problems';
import type { ProblemCode } from '../src/scenarios/catalog';
import type { Clock } from '../src/store';

/** The schemes of Windows integrated authentication, as a resource offers them. */
export type NtlmScheme = 'Negotiate' | 'NTLM';

export interface NtlmAuthOptions {
  /** The schemes offered, in the order of the challenge (IIS: Negotiate, then NTLM). */
  offer: readonly NtlmScheme[];
  /** The domain's accounts: user name (compared case-insensitively) → password. */
  accounts: Record<string, string>;
  clock: Clock;
  /** Who is asking: a challenge is answered only by the visitor it was issued to. */
  owner: (req: Request) => string;
  /** How long a challenge waits for its answer; 60 seconds unless a test says otherwise. */
  challengeTtlMs?: number;
}

/** A challenge issued on a connection, waiting for its AUTHENTICATE message. */
interface Pending {
  serverChallenge: Buffer;
  timestamp: Buffer;
  scheme: NtlmScheme;
  expiresAt: number;
}

/** Challenges waiting on one connection, per visitor: a few at most (a proxy's shared socket). */
const PER_CONNECTION = 4;

/**
 * The NTLM handshake of [MS-NLMP] under `Negotiate` or `NTLM` (RFC 4559): a NEGOTIATE message
 * gets a 401 with a CHALLENGE, remembered with the TCP connection (a WeakMap keyed by the
 * socket: bounded by the open connections, gone with them, nothing in the Store); an
 * AUTHENTICATE message on that same connection is checked with NTLMv2. The connection is not
 * left authenticated afterwards: behind a proxy that pools connections, that would let one
 * visitor's request ride on another's login (RFC 9110 §3.3), so every request runs the handshake.
 */
export function ntlmAuth(options: NtlmAuthOptions): RequestHandler {
  if (options.offer.length === 0) throw new TypeError('ntlmAuth: offer at least one scheme');
  const ttl = options.challengeTtlMs ?? 60_000;
  // The NT hash of each password, once: the only form NTLM needs (and, on Windows, stores).
  const accounts = new Map(
    Object.entries(options.accounts).map(([user, password]) => [
      user.toLowerCase(),
      ntHash(password),
    ]),
  );
  const domains = new Set(['', NTLM_DOMAIN.toLowerCase(), NTLM_DNS_DOMAIN]);
  const challenge = options.offer.join(', ');
  const pending = new WeakMap<Socket, Map<string, Pending>>();

  const refuse = (code: ProblemCode, detail: string, www = challenge) =>
    problem(code, { detail, headers: { 'WWW-Authenticate': www } });

  return function ntlmAuthMiddleware(req, res, next) {
    const header = req.headers.authorization ?? '';
    const scheme = options.offer.find((s) => s.toLowerCase() === schemeOf(header).toLowerCase());
    if (scheme === undefined) {
      throw refuse(
        'ntlm_credentials_missing',
        header === ''
          ? `Start the handshake: Authorization: ${options.offer.join(' or ')} with a NEGOTIATE message.`
          : `This resource takes ${options.offer.join(' or ')} only.`,
      );
    }
    const token = header.slice(scheme.length).trim();
    let kind;
    try {
      if (token === '' || /\s/.test(token)) {
        throw new NtlmMalformed(`Send one base64 token after ${scheme}.`);
      }
      kind = classifyToken(token);
      if (kind.kind === 'ntlm' && kind.type === 1) readNegotiate(kind.bytes);
    } catch (e) {
      if (e instanceof NtlmMalformed) throw problem('ntlm_malformed', { detail: e.message });
      throw e;
    }
    if (kind.kind === 'gss') {
      // Offer NTLM, which this server can complete, so that the client falls back to it.
      throw refuse(
        'negotiate_kerberos_unavailable',
        kind.mechanism === 'kerberos'
          ? 'A Kerberos AP-REQ (1.2.840.113554.1.2.2) needs a KDC and a service key; this server has neither. Send NTLM.'
          : `A SPNEGO token (1.3.6.1.5.5.2)${kind.offersKerberos ? ' proposing Kerberos' : ''}: this server reads raw NTLM messages only. Send NTLM.`,
        'NTLM',
      );
    }
    const owner = options.owner(req);
    const socket = req.socket;
    const now = options.clock.now();
    if (kind.type === 2) {
      throw problem('ntlm_malformed', {
        detail:
          'A CHALLENGE message (type 2) is the server’s; send NEGOTIATE (1) or AUTHENTICATE (3).',
      });
    }
    if (kind.type === 1) {
      const issued: Pending = {
        serverChallenge: randomBytes(8),
        timestamp: fileTime(now),
        scheme,
        expiresAt: now + ttl,
      };
      const onSocket = pending.get(socket) ?? new Map<string, Pending>();
      onSocket.delete(owner);
      if (onSocket.size >= PER_CONNECTION) onSocket.delete(onSocket.keys().next().value as string);
      onSocket.set(owner, issued);
      pending.set(socket, onSocket);
      const closing = /\bclose\b/i.test(req.headers.connection ?? '') || req.httpVersion === '1.0';
      throw refuse(
        'ntlm_handshake_continue',
        closing
          ? 'Challenge issued, but this request asked to close the connection: the AUTHENTICATE message will arrive on another one and be refused. Keep the connection alive.'
          : 'Challenge issued: answer it with an AUTHENTICATE message on this same connection.',
        `${scheme} ${challengeMessage(issued.serverChallenge, issued.timestamp).toString('base64')}`,
      );
    }
    let auth;
    try {
      auth = readAuthenticate(kind.bytes);
      if (auth.response === 'ntlmv2') blobTimestamp(auth.nt);
    } catch (e) {
      if (e instanceof NtlmMalformed) throw problem('ntlm_malformed', { detail: e.message });
      throw e;
    }
    if (auth.response === 'ntlmv1' || auth.response === 'lm') {
      throw refuse(
        'ntlm_v1_refused',
        `The response is ${auth.response === 'lm' ? 'LM' : 'NTLMv1'} (24 bytes); only NTLMv2 is accepted.`,
      );
    }
    const onSocket = pending.get(socket);
    const issued = onSocket?.get(owner);
    const answers =
      issued !== undefined &&
      issued.expiresAt > now &&
      // An anonymous AUTHENTICATE has no blob; it fails as wrong credentials below.
      (auth.response !== 'ntlmv2' || blobTimestamp(auth.nt)?.equals(issued.timestamp) === true);
    if (!answers) {
      throw refuse(
        'ntlm_connection_changed',
        issued === undefined
          ? 'No challenge was issued to you on this connection: send the NEGOTIATE message on the connection you answer on.'
          : issued.expiresAt <= now
            ? 'The challenge on this connection expired (60 seconds): start again.'
            : 'This AUTHENTICATE message answers another challenge than this connection’s.',
      );
    }
    // Each challenge is answered once, right or wrong.
    onSocket!.delete(owner);
    const hash = accounts.get(auth.user.toLowerCase());
    const verified =
      hash !== undefined &&
      auth.response === 'ntlmv2' &&
      domains.has(auth.domain.toLowerCase()) &&
      ntlmV2Verifies(hash, auth.user, auth.domain, issued!.serverChallenge, auth.nt);
    if (!verified) {
      throw refuse(
        'ntlm_credentials_invalid',
        'The NTLMv2 response does not verify for this user, domain and password.',
      );
    }
    res.locals.ntlm = { user: auth.user, domain: auth.domain || NTLM_DOMAIN, scheme };
    next();
  };
}
