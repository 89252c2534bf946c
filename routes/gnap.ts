import { randomBytes } from 'node:crypto';
import express, { Router, type Request, type RequestHandler } from 'express';
import { claimNonce, gnapAuth, proofRequest, type GnapGrant } from '../middleware/gnap-auth';
import {
  checkHttpsig,
  GNAP_TOKEN_TTL_SECONDS,
  keyObjectOf,
  NONCE_REUSED,
  readGrantRequest,
  tokenKey,
  type GnapErrorCode,
} from '../src/auth/gnap';
import { methodNotAllowed, problem } from '../src/http/problems';
import type { ProblemCode } from '../src/scenarios/catalog';
import type { Clock, Store } from '../src/store';

export interface GnapDeps {
  store: Store;
  clock: Clock;
  publicUrl: string;
  owner: (req: Request) => string;
}

/** The largest grant request read: a JWK and a few access rights fit many times over. */
const GRANT_LIMIT = '8kb';

const GRANT_CODES: Record<GnapErrorCode, ProblemCode> = {
  invalid_request: 'gnap_grant_invalid_request',
  invalid_client: 'gnap_grant_invalid_client',
  invalid_flag: 'gnap_grant_invalid_flag',
};

/**
 * GNAP (RFC 9635): a minimal authorization server at POST /gnap/grant that grants at once (no
 * interaction: the demo API's rights are granted to any key that proves itself), and the
 * resource server at /gnap/resource (GET needs "read", POST needs "write").
 */
export function gnapRouter(deps: GnapDeps): Router {
  const router = Router();
  const guard = (action: 'read' | 'write') =>
    gnapAuth({
      store: deps.store,
      clock: deps.clock,
      owner: deps.owner,
      publicUrl: deps.publicUrl,
      action,
    });
  const raw = express.raw({ type: () => true, limit: GRANT_LIMIT, inflate: false });
  router.route('/gnap/grant').post(raw, grantEndpoint(deps)).all(methodNotAllowed('POST'));
  router
    .route('/gnap/resource')
    .get(guard('read'), resource)
    .post(raw, guard('write'), resource)
    .all(methodNotAllowed('GET', 'POST'));
  return router;
}

/** A GNAP error (RFC 9635 §3.6): `error` is `{code, description}`, beside the problem members. */
const gnapError = (error: GnapErrorCode, description: string, publicUrl: string) =>
  problem(GRANT_CODES[error], {
    detail: description,
    extensions: { error: { code: error, description } },
    ...(error === 'invalid_client'
      ? { headers: { 'WWW-Authenticate': `GNAP as_uri="${publicUrl}/gnap/grant"` } }
      : {}),
  });

/**
 * Reads the grant request, checks the `httpsig` proof of the key it presents (RFC 9635 §7.3:
 * the client proves its key at the AS too), claims the signature's nonce when it has one, and
 * only then issues and stores the token: a request refused for any reason writes nothing.
 */
function grantEndpoint(deps: GnapDeps): RequestHandler {
  return async function gnapGrant(req, res) {
    const type = req.headers['content-type'] ?? '';
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let json: unknown;
    try {
      if (!/^application\/json\s*(?:;|$)/i.test(type)) throw new TypeError('content type');
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw gnapError(
        'invalid_request',
        'Send the grant request as a JSON object with Content-Type: application/json.',
        deps.publicUrl,
      );
    }
    const grant = readGrantRequest(json);
    if (!grant.ok) throw gnapError(grant.error, grant.detail, deps.publicUrl);
    const now = deps.clock.now();
    const keyObject = keyObjectOf(grant.key);
    const proof = proofRequest(req, deps.publicUrl, now);
    const failure = keyObject && checkHttpsig(proof, grant.key, keyObject);
    if (!keyObject || failure) {
      throw gnapError(
        'invalid_client',
        `The grant request's key proof failed: ${failure?.detail ?? 'the key cannot be read.'}`,
        deps.publicUrl,
      );
    }
    const owner = deps.owner(req);
    if (!(await claimNonce(deps.store, proof, grant.key, owner))) {
      throw gnapError('invalid_client', NONCE_REUSED, deps.publicUrl);
    }
    const token = randomBytes(32).toString('base64url');
    const stored: GnapGrant = {
      owner,
      key: grant.key,
      access: grant.access,
      exp: Math.floor(now / 1000) + GNAP_TOKEN_TTL_SECONDS,
    };
    await deps.store.set(
      tokenKey(token),
      JSON.stringify(stored),
      GNAP_TOKEN_TTL_SECONDS * 1000,
      owner,
    );
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      access_token: {
        value: token,
        access: grant.access,
        expires_in: GNAP_TOKEN_TTL_SECONDS,
      },
    });
  };
}

const resource: RequestHandler = function gnapResource(req, res) {
  res.setHeader('Cache-Control', 'no-store');
  res.json({ authenticated: true, method: req.method, ...res.locals.gnap });
};
