import type { RequestHandler } from 'express';
import { TLSSocket } from 'node:tls';
import {
  CONCEALED_EXPORTER_LENGTH,
  CONCEALED_LABEL,
  ED25519_SCHEME,
  exporterContext,
  proofVerifies,
  readConcealed,
  verificationMatches,
} from '../src/auth/concealed';
import { schemeOf } from '../src/auth/scheme';
import { problem, routeNotFound } from '../src/http/problems';
import type { KeyObject } from 'node:crypto';

export interface ConcealedAuthOptions {
  /** Key ID (its bytes as base64url) → the raw Ed25519 public key and its KeyObject. */
  keys: ReadonlyMap<string, { raw: Buffer; key: KeyObject }>;
  /**
   * true: a hidden resource (RFC 9729 §6.4), where every failure is the 404 of a path no route
   * serves. false: the same checks, each refusal a 401 with its own code, to learn from.
   */
  hidden: boolean;
}

type ConcealedCode =
  | 'concealed_credentials_missing'
  | 'concealed_malformed'
  | 'concealed_signature_scheme_unsupported'
  | 'concealed_key_unknown'
  | 'concealed_tls_required'
  | 'concealed_verification_mismatch'
  | 'concealed_signature_invalid';

/**
 * Checks `Authorization: Concealed …` in RFC 9729 §6.3's order: the parameters, the signature
 * scheme, the key ID and its public key, then (over TLS 1.3 only, §7) the exporter output's
 * verification value and the signature. Nothing is stored.
 */
export function concealedAuth(options: ConcealedAuthOptions): RequestHandler {
  // RFC 9729 defines no challenge; a 401 must carry one (RFC 9110 §11.6.1): the bare scheme.
  const headers = { 'WWW-Authenticate': 'Concealed' };
  return function concealedAuthMiddleware(req, res, next) {
    const refuse = (code: ConcealedCode, detail: string) =>
      next(options.hidden ? routeNotFound(req) : problem(code, { detail, headers }));
    const header = req.headers.authorization ?? '';
    const sent = schemeOf(header);
    if (sent.toLowerCase() !== 'concealed') {
      return refuse(
        'concealed_credentials_missing',
        'Send Authorization: Concealed k=…, a=…, p=…, s=…, v=… over TLS 1.3, unprompted.',
      );
    }
    const c = readConcealed(header.slice(sent.length));
    if (typeof c === 'string') return refuse('concealed_malformed', c);
    if (c.scheme !== ED25519_SCHEME) {
      return refuse(
        'concealed_signature_scheme_unsupported',
        `s=${c.scheme} is not a scheme this server verifies: it takes ed25519 (s=${ED25519_SCHEME}).`,
      );
    }
    const known = options.keys.get(c.keyId.toString('base64url'));
    if (!known || known.raw.length !== c.publicKey.length || !known.raw.equals(c.publicKey)) {
      return refuse(
        'concealed_key_unknown',
        known
          ? 'a= is not the public key this server holds for that key ID.'
          : 'No key with that ID (k=) is known here.',
      );
    }
    const socket = req.socket;
    if (!(socket instanceof TLSSocket) || socket.getProtocol() !== 'TLSv1.3') {
      return refuse(
        'concealed_tls_required',
        socket instanceof TLSSocket
          ? `The connection is ${String(socket.getProtocol())}; this server takes Concealed over TLS 1.3 only (RFC 9729 §7).`
          : 'This request came over plain http: there is no TLS connection, so no keying material exporter (RFC 5705) whose output v= and p= could be checked against. Connect with TLS 1.3 (the server must listen on TLS itself; a proxy in front would have to forward Concealed-Auth-Export, RFC 9729 §6.2).',
      );
    }
    const port = Number(/:(\d+)$/.exec(req.headers.host ?? '')?.[1] ?? 443);
    const exported = socket.exportKeyingMaterial(
      CONCEALED_EXPORTER_LENGTH,
      CONCEALED_LABEL,
      exporterContext(c, { scheme: 'https', host: req.hostname, port }),
    );
    if (!verificationMatches(exported, c.verification)) {
      return refuse(
        'concealed_verification_mismatch',
        'v= is not the last 16 bytes of this connection’s exporter output for this context.',
      );
    }
    if (!proofVerifies(exported, known.key, c.proof)) {
      return refuse(
        'concealed_signature_invalid',
        'p= is not an Ed25519 signature of the signature input.',
      );
    }
    res.locals.concealed = { keyId: c.keyId.toString('base64url') };
    next();
  };
}
