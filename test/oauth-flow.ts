/**
 * The authorization-code flow driven as a browser would drive it: GET /authorize, post the login
 * form, post the consent form, read the redirect. For test/routes/authorize.test.ts and the
 * cards test/scenario-setups.test.ts sets up.
 */
import { createHash, randomBytes } from 'node:crypto';
import type request from 'supertest';

export const SPA = 'four-oh-one-spa';
export const WEB = 'four-oh-one-web';
export const WEB_SECRET = 'four-oh-one-web-secret';

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The hidden and named inputs of a page's form, by name. */
export function formFields(page: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of page.matchAll(/<input\b[^>]*>/g)) {
    const tag = m[0];
    const name = /\bname="([^"]*)"/.exec(tag)?.[1];
    const value = /\bvalue="([^"]*)"/.exec(tag)?.[1] ?? '';
    if (name !== undefined) fields[name] = unescape(value);
  }
  return fields;
}

const unescape = (text: string) =>
  text.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)));

export interface FlowOptions {
  clientId?: string;
  redirectUri: string;
  scope?: string;
  state?: string;
  nonce?: string;
  extra?: Record<string, string>;
  username?: string;
  password?: string;
  /** The Cookie header to send (a login cookie from an earlier flow). */
  cookie?: string;
  pkce?: Pkce;
}

export interface FlowResult {
  /** The final redirect's parameters. */
  params: URLSearchParams;
  location: string;
  pkce: Pkce;
  /** The login cookie set on the way, if any. */
  cookie: string | undefined;
}

/** The authorization query of a flow. */
export function authorizeQuery(o: FlowOptions, p: Pkce): Record<string, string> {
  return {
    response_type: 'code',
    client_id: o.clientId ?? SPA,
    redirect_uri: o.redirectUri,
    scope: o.scope ?? 'openid data:read',
    state: o.state ?? 'state-123',
    code_challenge: p.challenge,
    code_challenge_method: 'S256',
    ...(o.nonce === undefined ? {} : { nonce: o.nonce }),
    ...o.extra,
  };
}

/** Runs the flow up to the consent page; returns that page's response and the login cookie. */
export async function toConsent(
  http: () => ReturnType<typeof request>,
  o: FlowOptions,
  p: Pkce,
): Promise<{ consent: request.Response; cookie: string | undefined }> {
  let get = http().get('/authorize').query(authorizeQuery(o, p));
  if (o.cookie) get = get.set('Cookie', o.cookie);
  const first = await get;
  if (first.status !== 200) throw new Error(`GET /authorize answered ${first.status}`);
  if (!first.text.includes('value="login"')) return { consent: first, cookie: o.cookie };
  const login = await http()
    .post('/authorize')
    .type('form')
    .send({
      ...formFields(first.text),
      username: o.username ?? 'my_username',
      password: o.password ?? 'my_password',
      action: 'login',
    });
  const setCookie = ([] as string[]).concat(login.headers['set-cookie'] ?? []);
  const cookie = setCookie[0]?.split(';')[0];
  return { consent: login, cookie };
}

/** The whole flow, answering the consent page with `action` (approve by default). */
export async function runFlow(
  http: () => ReturnType<typeof request>,
  o: FlowOptions,
  action: 'approve' | 'deny' = 'approve',
): Promise<FlowResult> {
  const p = o.pkce ?? pkce();
  const { consent, cookie } = await toConsent(http, o, p);
  if (consent.status !== 200) throw new Error(`login answered ${consent.status}`);
  const fields = formFields(consent.text);
  const answer = await http()
    .post('/authorize')
    .type('form')
    .send({ pending: fields.pending, csrf_token: fields.csrf_token, action });
  const location = String(answer.headers.location ?? '');
  if (answer.status !== 303) throw new Error(`consent answered ${answer.status}`);
  return { params: new URL(location).searchParams, location, pkce: p, cookie };
}

/** Exchanges a code at the token endpoint as the public client (or as `as`). */
export function exchange(
  http: () => ReturnType<typeof request>,
  fields: Record<string, string>,
  as?: { id: string; secret: string },
) {
  const req = http().post('/auth/token').type('form');
  return (as ? req.auth(as.id, as.secret) : req).send({
    grant_type: 'authorization_code',
    ...fields,
  });
}
