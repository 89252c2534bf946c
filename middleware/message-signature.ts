import type { RequestHandler } from 'express';
import {
  ACCEPT_SIGNATURE,
  baseSignatureMatches,
  contentDigest,
  DEMO_SIGNATURE_KEYID,
  parseSignatureInput,
  REQUIRED_COMPONENTS,
  SIGNATURE_MAX_AGE_SECONDS,
  signatureBase,
  signatureFor,
} from '../src/auth/message-signature';
import { problem } from '../src/http/problems';
import type { ProblemCode } from '../src/scenarios/catalog';
import type { Clock } from '../src/store';

/**
 * Verifies an RFC 9421 signature over `@method`, `@path` and `content-digest` with the demo
 * HMAC key (`req.body` must be the Buffer express.raw() read). Every refusal is 400 with an
 * `Accept-Signature` field (RFC 9421 §5.1) saying what to sign and with which key: no
 * WWW-Authenticate scheme exists for message signatures, so no 401. Nothing is stored.
 */
export function messageSignature(options: { clock: Clock }): RequestHandler {
  const headers = { 'Accept-Signature': ACCEPT_SIGNATURE };
  const refuse = (code: ProblemCode, detail?: string) =>
    problem(code, { headers, ...(detail === undefined ? {} : { detail }) });
  return function messageSignatureMiddleware(req, _res, next) {
    const inputField = req.headers['signature-input'];
    const sigField = req.headers.signature;
    if (inputField === undefined && sigField === undefined) {
      return next(
        refuse('http_signature_missing', 'Sign the request as Accept-Signature asks (RFC 9421).'),
      );
    }
    const input = typeof inputField === 'string' ? parseSignatureInput(inputField) : undefined;
    const given =
      input && typeof sigField === 'string' ? signatureFor(sigField, input.label) : undefined;
    if (input === undefined || given === undefined) {
      return next(
        refuse(
          'http_signature_malformed',
          'Signature-Input and Signature must be RFC 9421 dictionaries with the same label.',
        ),
      );
    }
    if (input.keyid !== DEMO_SIGNATURE_KEYID || (input.alg ?? 'hmac-sha256') !== 'hmac-sha256') {
      return next(
        refuse(
          'http_signature_keyid_unknown',
          `This server holds one key: keyid "${DEMO_SIGNATURE_KEYID}", alg "hmac-sha256".`,
        ),
      );
    }
    const uncovered = REQUIRED_COMPONENTS.filter((c) => !input.components.includes(c));
    const digestField = req.headers['content-digest'];
    if (uncovered.length > 0) {
      return next(
        refuse('http_signature_components_missing', `Not covered: ${uncovered.join(', ')}.`),
      );
    }
    const extra = input.components.filter((c) => !REQUIRED_COMPONENTS.includes(c as never));
    if (extra.length > 0 || typeof digestField !== 'string') {
      return next(
        refuse(
          'http_signature_components_missing',
          extra.length > 0
            ? `This server resolves only ${REQUIRED_COMPONENTS.join(', ')}; not ${extra.join(', ')}.`
            : 'The covered content-digest field is not in the request.',
        ),
      );
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const base = signatureBase(input, {
      '@method': req.method,
      '@path': req.path,
      'content-digest': digestField,
    });
    if (!baseSignatureMatches(base, given)) {
      return next(
        refuse(
          'http_signature_invalid',
          'The signature is not the HMAC-SHA256 of the signature base.',
        ),
      );
    }
    if (digestField !== contentDigest(body)) {
      return next(
        refuse('http_signature_invalid', 'Content-Digest is not the SHA-256 of the body sent.'),
      );
    }
    const now = options.clock.now() / 1000;
    const tooOld =
      input.created === undefined || Math.abs(now - input.created) > SIGNATURE_MAX_AGE_SECONDS;
    if (tooOld || (input.expires !== undefined && input.expires < now)) {
      return next(
        refuse(
          'http_signature_expired',
          `created must be within ${SIGNATURE_MAX_AGE_SECONDS} seconds of the server's clock (${Math.floor(now)}), and expires not passed.`,
        ),
      );
    }
    next();
  };
}
