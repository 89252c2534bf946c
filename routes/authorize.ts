import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { DPOP_ALGS } from '../src/tokens/dpop';
import type { Config } from '../src/config';
import { methodNotAllowed, problem } from '../src/http/problems';
import type { Visitors } from '../src/http/visitors';
import { CALLBACK_PATH, OIDC_SCOPES, type OAuthClient } from '../src/oauth/clients';
import {
  ACR_PASSWORD,
  ACR_REMEMBERED,
  type Authorization,
  type CodeFlow,
} from '../src/oauth/codes';
import { FORM_LIFETIME_SECONDS, type FormKeys, type Login } from '../src/oauth/forms';
import {
  parseAuthorizationRequest,
  redirectLocation,
  requestFields,
  type AuthorizationRequest,
  type RedirectError,
} from '../src/oauth/request';
import {
  callbackPage,
  callbackQuery,
  consentPage,
  loginPage,
  type LoginReason,
} from '../src/site/authorize';
import type { Clock } from '../src/store';
import type { Directory, Principal } from '../src/tokens/identities';

export interface AuthorizeRoutesDeps {
  config: Config;
  clients: ReadonlyMap<string, OAuthClient>;
  directory: Directory;
  flow: CodeFlow;
  forms: FormKeys;
  clock: Clock;
  visitors: Visitors;
  /** Failed logins on the form, counted with POST /login's (middleware/rate-limit.ts). */
  loginLimit: RequestHandler;
  bearerAuth: RequestHandler;
  /** The `openid` scope, which /userinfo needs (OpenID Connect Core §5.3). */
  requireOpenid: RequestHandler;
}

/**
 * The authorization endpoint (RFC 6749 §4.1, RFC 7636, OpenID Connect Core §3.1), its login and
 * consent pages, the callback page of the demo clients, OpenID Connect discovery and userinfo.
 * Nothing is stored before the user has logged in: the login form carries the request and a
 * token bound to it; the login cookie is a signature, not a session.
 */
export function authorizeRouter(deps: AuthorizeRoutesDeps): Router {
  const { config, clients, directory, flow, forms, clock, visitors } = deps;
  const router = Router();
  const issuer = config.jwt.issuer;
  const cookieName = config.session.cookieSecure ? '__Host-four-oh-one.login' : 'four-oh-one.login';
  const cookieOptions = {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: config.session.cookieSecure,
  };
  const loginChallenge = `Cookie realm="four-oh-one", form-action="/authorize", cookie-name="${cookieName}"`;
  const demoUsers = `${config.demo.username} and ${config.demo.adminUsername} (the README gives their passwords)`;
  const now = () => Math.floor(clock.now() / 1000);

  // CSP form-action also binds the redirects a form submission leads to (Chromium enforces it):
  // helmet's 'self' would stop Allow and Deny on their way to a client on another origin. The
  // forms of /authorize may lead to the registered redirect URIs' origins, and nowhere else.
  const redirectOrigins = [
    ...new Set([...clients.values()].flatMap((c) => c.redirectUris.map((u) => new URL(u).origin))),
  ];
  const formAction = `form-action 'self' ${redirectOrigins.join(' ')}`;

  const noStore: RequestHandler = function noStore(_req, res, next) {
    // The pages carry form tokens; the redirects carry codes: never cached (RFC 6749 §5.1).
    res.setHeader('Cache-Control', 'no-store');
    const csp = res.getHeader('Content-Security-Policy');
    if (typeof csp === 'string') {
      res.setHeader('Content-Security-Policy', csp.replace(/form-action [^;]*/, formAction));
    }
    next();
  };

  /** An error for the client: 303 to its redirect URI, with `state` and `iss`. */
  function sendBack(res: Response, e: RedirectError): void {
    const answer = { error: e.error, error_description: e.description };
    res.redirect(303, redirectLocation(e.redirectUri, answer, e.state, issuer));
  }

  /** The login the cookie remembers, if it is ours, unexpired and names a known user. */
  function rememberedLogin(req: Request): { login: Login; user: Principal } | undefined {
    const value = readCookie(req.headers.cookie, cookieName);
    const login = forms.readLoginCookie(value, now());
    const user = login ? directory.user(login.sub) : undefined;
    return login && user ? { login, user } : undefined;
  }

  /**
   * Why the user must type a password for this request (OIDC Core §3.1.2.1: prompt=login,
   * max_age, acr_values), or undefined when the remembered login serves.
   */
  function loginNeeded(
    request: AuthorizationRequest,
    login: Login | undefined,
  ): LoginReason | undefined {
    if (request.prompt.has('login')) return 'prompt';
    if (!login) return 'none';
    if (request.maxAge !== undefined && now() - login.authTime > request.maxAge) return 'max_age';
    const wantsPassword =
      request.acrValues.includes(ACR_PASSWORD) && !request.acrValues.includes(ACR_REMEMBERED);
    return wantsPassword ? 'acr' : undefined;
  }

  const fieldsOf = (request: AuthorizationRequest) => requestFields(request);
  const loginBinding = (request: AuthorizationRequest) => JSON.stringify(fieldsOf(request));

  function showLogin(
    req: Request,
    res: Response,
    request: AuthorizationRequest,
    reason: LoginReason,
    username = '',
  ): void {
    const csrf = forms.formToken('login', visitors.of(req), loginBinding(request), now());
    if (reason === 'failed') {
      // A refused password is a 401 with the cookie-login challenge, like POST /login's.
      res.status(401).setHeader('WWW-Authenticate', loginChallenge);
    }
    res.type('html').send(
      loginPage({
        clientName: request.client.name,
        form: { fields: fieldsOf(request), csrf },
        reason,
        username,
        demoUsers,
      }),
    );
  }

  /** Holds the request for consent (the user is known now) and shows the consent page. */
  async function askConsent(
    req: Request,
    res: Response,
    request: AuthorizationRequest,
    user: Principal,
    login: Login,
    acr: string,
  ): Promise<void> {
    const may = new Set([...OIDC_SCOPES, ...user.scopes]);
    const scopes = request.scopes.filter((s) => may.has(s));
    const refused = request.scopes.filter((s) => !may.has(s));
    if (scopes.length === 0) {
      sendBack(res, {
        redirectUri: request.redirectUri,
        error: 'invalid_scope',
        description: `None of the scopes asked for may be granted to ${user.sub}.`,
        state: request.state,
      });
      return;
    }
    const authorization: Authorization = {
      clientId: request.client.clientId,
      redirectUri: request.redirectUri,
      scopes,
      ...(request.state === undefined ? {} : { state: request.state }),
      ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
      codeChallenge: request.codeChallenge,
      sub: user.sub,
      type: user.type,
      authTime: login.authTime,
      acr,
    };
    const visitor = visitors.of(req);
    const pending = await flow.holdForConsent(authorization, visitor);
    res.type('html').send(
      consentPage({
        clientName: request.client.name,
        sub: user.sub,
        scopes,
        refused,
        pending,
        csrf: forms.formToken('consent', visitor, pending, now()),
      }),
    );
  }

  const parseForm = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 32 });

  /** Either step of the form: the login (action=login), or the consent (approve, deny). */
  /** The login step counts refused passwords (429 past the limit); the consent step does not. */
  const limitLogins: RequestHandler = function limitLogins(req, res, next) {
    if ((req.body as Record<string, unknown>).action !== 'login') return next();
    return deps.loginLimit(req, res, next);
  };

  const loginOrConsent: RequestHandler = async function loginOrConsent(req, res) {
    const body = req.body as Record<string, unknown>;
    const visitor = visitors.of(req);
    if (body.action === 'login') return login(req, res);
    if (body.action !== 'approve' && body.action !== 'deny') {
      throw problem('parameter_invalid', { detail: 'action must be login, approve or deny.' });
    }
    const pendingId = body.pending;
    if (
      typeof pendingId !== 'string' ||
      !forms.checkFormToken(body.csrf_token, 'consent', visitor, pendingId, now())
    ) {
      throw problem('csrf_token_invalid', {
        detail: `The consent form's csrf_token is missing, for another request, or older than ${FORM_LIFETIME_SECONDS} s.`,
      });
    }
    const authorization = await flow.pending(pendingId);
    if (!authorization || !(await flow.settle(pendingId))) {
      throw problem('authorize_request_expired', {
        detail: 'This authorization request was already answered, or has expired.',
      });
    }
    const { redirectUri, state } = authorization;
    if (body.action === 'deny') {
      return sendBack(res, {
        redirectUri,
        error: 'access_denied',
        description: 'The user denied the request.',
        state,
      });
    }
    const code = await flow.issueCode(authorization, visitor);
    res.redirect(303, redirectLocation(redirectUri, { code }, state, issuer));
  };

  router
    .route('/authorize')
    .get(noStore, async function authorize(req, res) {
      const parsed = parseAuthorizationRequest(req.query as Record<string, unknown>, clients);
      if (!parsed.ok) return sendBack(res, parsed.redirect);
      const { request } = parsed;
      const remembered = rememberedLogin(req);
      const reason = loginNeeded(request, remembered?.login);
      if (request.prompt.has('none')) {
        // OIDC Core §3.1.2.6: no page may be shown; consent always needs one here.
        return sendBack(res, {
          redirectUri: request.redirectUri,
          error: reason === undefined ? 'consent_required' : 'login_required',
          description: 'prompt=none, but the user must interact.',
          state: request.state,
        });
      }
      if (reason !== undefined || !remembered)
        return showLogin(req, res, request, reason ?? 'none');
      await askConsent(req, res, request, remembered.user, remembered.login, ACR_REMEMBERED);
    })
    .post(
      noStore,
      parseForm,
      function readForm(req, _res, next) {
        // Only a form: a JSON or text body leaves req.body unset.
        if (typeof req.body !== 'object' || req.body === null) {
          throw problem('media_type_unsupported', {
            detail: 'Post the form as application/x-www-form-urlencoded.',
          });
        }
        next();
      },
      limitLogins,
      loginOrConsent,
    )
    .all(methodNotAllowed('GET', 'POST'));

  async function login(req: Request, res: Response): Promise<void> {
    const body = req.body as Record<string, unknown>;
    const parsed = parseAuthorizationRequest(body, clients);
    if (!parsed.ok) return sendBack(res, parsed.redirect);
    const { request } = parsed;
    const visitor = visitors.of(req);
    if (!forms.checkFormToken(body.csrf_token, 'login', visitor, loginBinding(request), now())) {
      throw problem('csrf_token_invalid', {
        detail: `The login form's csrf_token is missing, for another request, or older than ${FORM_LIFETIME_SECONDS} s.`,
      });
    }
    const username = typeof body.username === 'string' ? body.username.slice(0, 128) : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const user = directory.authenticateUser(username, password);
    if (!user) return showLogin(req, res, request, 'failed', username);
    const login: Login = { sub: user.sub, authTime: now() };
    const expires = login.authTime + config.session.absoluteSeconds;
    res.cookie(cookieName, forms.loginCookie(login, expires), {
      ...cookieOptions,
      maxAge: config.session.absoluteSeconds * 1000,
    });
    await askConsent(req, res, request, user, login, ACR_PASSWORD);
  }

  router
    .route(CALLBACK_PATH)
    .get(noStore, function callback(req, res) {
      const shown = callbackQuery(req.query as Record<string, unknown>);
      res.type('html').send(callbackPage(shown, `${config.publicUrl}/auth/token`));
    })
    .all(methodNotAllowed('GET'));

  const discovery = {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/auth/token`,
    userinfo_endpoint: `${issuer}/userinfo`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    revocation_endpoint: `${issuer}/auth/revoke`,
    introspection_endpoint: `${issuer}/auth/introspect`,
    scopes_supported: ['openid', 'profile', 'data:read', 'admin'],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: [
      'authorization_code',
      'refresh_token',
      'client_credentials',
      'password',
    ],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    code_challenge_methods_supported: ['S256'],
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    acr_values_supported: [ACR_PASSWORD, ACR_REMEMBERED],
    claims_supported: [
      'iss',
      'sub',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'nonce',
      'acr',
      'azp',
      'at_hash',
      'name',
    ],
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    authorization_response_iss_parameter_supported: true,
    // RFC 9449 §5.1: the token endpoint binds tokens to a DPoP proof's key.
    dpop_signing_alg_values_supported: [...DPOP_ALGS],
    service_documentation: `${config.publicUrl}/scenarios`,
  };
  router
    .route('/.well-known/openid-configuration')
    .get((_req, res) => void res.json(discovery))
    .all(methodNotAllowed('GET'));

  /** OpenID Connect Core §5.3: who the access token speaks for, to the client it was issued to. */
  const userinfo: RequestHandler = function userinfo(_req, res) {
    const claims = res.locals.auth?.claims;
    if (!claims) throw new Error('userinfo: bearerAuth did not run');
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    res.setHeader('Cache-Control', 'no-store');
    res.json({ sub: claims.sub, ...(scopes.includes('profile') ? { name: claims.sub } : {}) });
  };
  router
    .route('/userinfo')
    .get(deps.bearerAuth, deps.requireOpenid, userinfo)
    .post(deps.bearerAuth, deps.requireOpenid, userinfo)
    .all(methodNotAllowed('GET', 'POST'));

  return router;
}

/** One cookie's value from a Cookie header, without a parser dependency. */
function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
