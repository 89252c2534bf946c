import express, { Router } from 'express';
import { oauth1Auth, type Oauth1AuthOptions } from '../middleware/oauth1-auth';
import { DEMO_OAUTH1_USER } from '../src/auth/oauth1';
import { methodNotAllowed } from '../src/http/problems';

/**
 * OAuth 1.0a (RFC 5849): a protected resource taking signed requests, GET or POST. A POST's
 * application/x-www-form-urlencoded body is read as text, since its parameters are signed too
 * (RFC 5849 §3.4.1.3.1); any other body is not read.
 */
export function oauth1Router(options: Oauth1AuthOptions): Router {
  const router = Router();
  const readForm = express.text({
    type: 'application/x-www-form-urlencoded',
    limit: '8kb',
    inflate: false,
  });
  const requireSignature = oauth1Auth(options);
  router
    .route('/oauth1/resource')
    .get(requireSignature, resource)
    .post(readForm, requireSignature, resource)
    .all(methodNotAllowed('GET', 'POST'));
  return router;
}

function resource(_req: express.Request, res: express.Response): void {
  const verified = res.locals.oauth1!;
  res.json({
    authenticated: true,
    scheme: 'OAuth',
    consumer_key: verified.consumerKey,
    // A request signed with the client credentials alone (two-legged) acts for no user.
    token: verified.token === '' ? null : verified.token,
    user: verified.token === '' ? null : DEMO_OAUTH1_USER,
    signature_method: verified.method,
    transmission: verified.transmission,
  });
}
