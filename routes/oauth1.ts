import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { originCheck } from '../middleware/csrf';
import { oauth1Auth, type Oauth1AuthOptions } from '../middleware/oauth1-auth';
import { callbackAllowed, OAUTH1_MAX_CALLBACK_LENGTH } from '../src/auth/oauth1-grants';
import { OAUTH1_CHALLENGE, rfc3986Encode, utf8, type Oauth1Verified } from '../src/auth/oauth1';
import { methodNotAllowed, problem } from '../src/http/problems';
import { oauth1AuthorizePage, oauth1CallbackPage, oauth1DecisionPage } from '../src/site/oauth1';
import type { Directory } from '../src/tokens/identities';

export interface Oauth1RouterOptions extends Oauth1AuthOptions {
  directory: Directory;
  /** CORS_ORIGINS: pages that may post the authorization form besides this site's own. */
  corsOrigins: readonly string[];
  /** Refused passwords on the authorization form, on the budget of POST /login's. */
  loginLimit: RequestHandler;
  /** Who the demo users are, for the form's hint. */
  demoUsers: string;
}

/** The longest oauth_token read from a form or a query. */
const MAX_TOKEN = 64;

/**
 * OAuth 1.0a (RFC 5849): a protected resource taking signed requests, GET or POST, and the three
 * legs that issue token credentials (§2): the temporary credential request, the resource owner
 * authorization (a page), and the token request. A POST's application/x-www-form-urlencoded body
 * is read as text, since its parameters are signed too (§3.4.1.3.1); any other body is not read.
 */
export function oauth1Router(options: Oauth1RouterOptions): Router {
  const router = Router();
  const { grants, directory, owner } = options;
  const readForm = express.text({
    type: 'application/x-www-form-urlencoded',
    limit: '8kb',
    inflate: false,
  });
  const parseForm = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 16 });
  const sameSite = originCheck({ publicUrl: options.publicUrl, origins: options.corsOrigins });

  router
    .route('/oauth1/resource')
    .get(oauth1Auth(options), resource)
    .post(readForm, oauth1Auth(options), resource)
    .all(methodNotAllowed('GET', 'POST'));

  // §2.1: signed with the client credentials alone, naming where the resource owner goes back.
  router
    .route('/oauth1/request_token')
    .post(
      readForm,
      oauth1Auth(options, { expects: 'client', accept: callbackOf(options.publicUrl) }),
      async (req, res) => {
        const callback = res.locals.oauth1!.protocol.get('oauth_callback')!;
        const issued = await grants.issueTemporary(callback, owner(req));
        sendForm(res, {
          oauth_token: issued.token,
          oauth_token_secret: issued.secret,
          oauth_callback_confirmed: 'true',
        });
      },
    )
    .all(methodNotAllowed('POST'));

  // §2.2: the resource owner signs in and approves (or denies); the verifier goes to the client.
  router
    .route('/oauth1/authorize')
    .get(async (req, res) => {
      const token = formToken(req.query.oauth_token);
      const pending = await grants.pending(token);
      if (pending === undefined || pending.authorized) throw authorizationUnknown();
      noStore(res);
      res.type('html').send(authorizePage(token, pending.callback, false, ''));
    })
    .post(sameSite, parseForm, options.loginLimit, async (req, res) => {
      const body = req.body as Record<string, unknown>;
      const token = formToken(body.oauth_token);
      const pending = await grants.pending(token);
      if (pending === undefined || pending.authorized) throw authorizationUnknown();
      noStore(res);
      if (body.action === 'deny') {
        await grants.deny(token);
        if (pending.callback === 'oob') {
          res.type('html').send(oauth1DecisionPage({ token }));
        } else {
          // RFC 5849 is silent on a refusal; `denied=<token>` is what Twitter's API sent.
          res.redirect(303, withQuery(pending.callback, { denied: token }));
        }
        return;
      }
      if (body.action !== 'approve') {
        throw problem('parameter_invalid', { detail: '"action" must be approve or deny.' });
      }
      const username = typeof body.username === 'string' ? body.username.slice(0, 128) : '';
      const password = typeof body.password === 'string' ? body.password.slice(0, 128) : '';
      const user = directory.authenticateUser(username, password);
      if (user === undefined) {
        // A refused password is a 401 with the form-login challenge, as /authorize's.
        res
          .status(401)
          .setHeader(
            'WWW-Authenticate',
            'Cookie realm="four-oh-one", form-action="/oauth1/authorize"',
          );
        res.type('html').send(authorizePage(token, pending.callback, true, username));
        return;
      }
      const approved = await grants.authorize(token, user.sub, owner(req));
      if (approved === undefined) throw authorizationUnknown();
      if (approved.callback === 'oob') {
        res.type('html').send(oauth1DecisionPage({ token, verifier: approved.verifier }));
      } else {
        res.redirect(
          303,
          withQuery(approved.callback, { oauth_token: token, oauth_verifier: approved.verifier }),
        );
      }
    })
    .all(methodNotAllowed('GET', 'POST'));

  // The callback page of clients that name this server's /oauth1/callback (a browser's demo).
  router
    .route('/oauth1/callback')
    .get((req, res) => {
      const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, MAX_TOKEN) : '');
      noStore(res);
      res.type('html').send(
        oauth1CallbackPage({
          token: text(req.query.oauth_token),
          verifier: text(req.query.oauth_verifier),
          denied: text(req.query.denied),
        }),
      );
    })
    .all(methodNotAllowed('GET'));

  // §2.3: the temporary credentials and the verifier, signed, for token credentials, once.
  router
    .route('/oauth1/access_token')
    .post(
      readForm,
      oauth1Auth(options, { expects: 'temporary', accept: verifierSent }),
      async (req, res) => {
        const verified = res.locals.oauth1!;
        const verifier = verified.protocol.get('oauth_verifier')!;
        const exchanged = await grants.exchange(verified.token, verifier, owner(req));
        if ('refused' in exchanged) {
          throw problem(
            exchanged.refused === 'unknown' ? 'oauth1_token_unknown' : 'oauth1_verifier_invalid',
            {
              detail: EXCHANGE_REFUSED[exchanged.refused],
              headers: { 'WWW-Authenticate': OAUTH1_CHALLENGE },
            },
          );
        }
        sendForm(res, { oauth_token: exchanged.token, oauth_token_secret: exchanged.secret });
      },
    )
    .all(methodNotAllowed('POST'));

  function authorizePage(token: string, callback: string, failed: boolean, username: string) {
    return oauth1AuthorizePage({
      token,
      consumerKey: 'four-oh-one-consumer',
      callback,
      failed,
      username,
      demoUsers: options.demoUsers,
    });
  }

  return router;
}

const EXCHANGE_REFUSED = {
  unknown:
    'These temporary credentials were exchanged already, expired (10 minutes) or denied: start again at /oauth1/request_token.',
  not_authorized:
    'The resource owner has not approved these temporary credentials yet: send them to /oauth1/authorize?oauth_token=… first (RFC 5849 §2.2).',
  verifier:
    'This oauth_verifier is not the one the approval gave for these temporary credentials (RFC 5849 §2.3); the right one still works.',
};

/** §2.1: oauth_callback is required, and must be one the sandbox sends a browser to. */
function callbackOf(publicUrl: string) {
  return (verified: Oauth1Verified) => {
    const callback = verified.protocol.get('oauth_callback');
    if (callback === undefined) {
      return problem('oauth1_parameter_missing', {
        detail:
          'Missing: oauth_callback, where the resource owner is sent back, or "oob" (RFC 5849 §2.1).',
      });
    }
    if (!callbackAllowed(callback, publicUrl)) {
      return problem('oauth1_callback_invalid', {
        detail: `oauth_callback must be "oob", a loopback URI (http://127.0.0.1:…, http://localhost:…) or ${publicUrl}/oauth1/callback, at most ${OAUTH1_MAX_CALLBACK_LENGTH} characters.`,
      });
    }
    return undefined;
  };
}

/** §2.3: the token request carries the verifier. */
function verifierSent(verified: Oauth1Verified) {
  return verified.protocol.get('oauth_verifier') === undefined
    ? problem('oauth1_parameter_missing', {
        detail: 'Missing: oauth_verifier, which the authorization gave (RFC 5849 §2.3).',
      })
    : undefined;
}

const authorizationUnknown = () =>
  problem('oauth1_authorization_unknown', {
    detail:
      'No pending temporary credentials have this oauth_token: never issued, expired (10 minutes), approved already or exchanged. Start again at POST /oauth1/request_token.',
  });

/** An oauth_token from a form or a query: text, at most MAX_TOKEN characters, or ''. */
function formToken(value: unknown): string {
  return typeof value === 'string' && value.length <= MAX_TOKEN ? value : '';
}

function noStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
}

/** §2.1, §2.3: the answer is application/x-www-form-urlencoded, each value encoded (§3.6). */
function sendForm(res: Response, fields: Record<string, string>): void {
  noStore(res);
  res.type('application/x-www-form-urlencoded').send(
    Object.entries(fields)
      .map(([k, v]) => `${rfc3986Encode(utf8(k))}=${rfc3986Encode(utf8(v))}`)
      .join('&'),
  );
}

/** The callback with these parameters added to its query (§2.2: "MUST retain the existing query"). */
function withQuery(callback: string, params: Record<string, string>): string {
  const url = new URL(callback);
  for (const [k, v] of Object.entries(params)) url.searchParams.append(k, v);
  return url.toString();
}

function resource(_req: Request, res: Response): void {
  const verified = res.locals.oauth1!;
  res.json({
    authenticated: true,
    scheme: 'OAuth',
    consumer_key: verified.consumerKey,
    // A request signed with the client credentials alone (two-legged) acts for no user.
    token: verified.token === '' ? null : verified.token,
    user: verified.user ?? null,
    signature_method: verified.method,
    transmission: verified.transmission,
  });
}
