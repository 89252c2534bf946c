#!/usr/bin/env node
/* global process, console, fetch, URLSearchParams, AbortSignal */
// Refresh-on-401 with plain fetch (Node 20+, as package.json's engines), against four-oh-one.
//
// 1. Get tokens with the first article's JSON {"api_key", "api_secret"} at POST /auth/token.
// 2. Call GET /api/v1/flaky?fail=1&key=<random>: the server answers 401 token_expired once
//    (scripted, like a token that expired in flight), then 200.
// 3. On that 401, refresh once with the refresh token (grant_type=refresh_token) and retry once.
//    A second 401 is not retried: a wrong key or a revoked token does not get better. The
//    refresh authenticates the client again (client_id and client_secret): the article's client
//    has a secret, so its refresh token is useless without it (RFC 6749 §6).
// 4. GET /api/v1/data with the refreshed token.
//
// Exits 0 only when the flow was 401 -> refresh -> 200; 1 otherwise; 2 when the server cannot
// be reached. The host is $FOUR_OH_ONE_URL, default http://127.0.0.1:3000 (npm start).
// Run: npm start (in another terminal), then node examples/node/fetch-refresh.mjs
import { randomUUID } from 'node:crypto';

const BASE_URL = (process.env.FOUR_OH_ONE_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
const TIMEOUT_MS = 10_000;
const steps = [];

/** fetch with a timeout, logging each call as "METHOD path -> status code". */
async function call(method, path, init = {}) {
  const res = await fetch(BASE_URL + path, {
    method,
    ...init,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  const code = body?.code ? ` ${body.code}` : '';
  console.log(`${method} ${path.split('?')[0]} -> ${res.status}${code}`);
  return { res, body };
}

const CLIENT = { client_id: 'YOUR_VALID_API_KEY', client_secret: 'YOUR_VALID_API_SECRET' };
let tokens;

async function getTokens() {
  const { res, body } = await call('POST', '/auth/token', {
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ api_key: CLIENT.client_id, api_secret: CLIENT.client_secret }),
  });
  if (res.status !== 200) throw new Error(`could not get a token: ${res.status}`);
  tokens = body;
}

async function refresh() {
  const { res, body } = await call('POST', '/auth/token', {
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      ...CLIENT, // a confidential client authenticates whenever it refreshes
    }),
  });
  if (res.status !== 200) throw new Error(`refresh failed: ${res.status} ${body?.code ?? ''}`);
  tokens = body; // the refresh token rotates: keep the new one
}

/** GET with the access token; on 401, refresh once and retry once. */
async function getWithRefresh(path) {
  const send = () =>
    call('GET', path, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
  let answer = await send();
  steps.push(answer.res.status);
  if (answer.res.status === 401) {
    const challenge = answer.res.headers.get('www-authenticate');
    console.log(`  WWW-Authenticate: ${challenge}`);
    console.log(
      `  request id: ${answer.res.headers.get('x-request-id')} (GET /explain/<id> says why)`,
    );
    await refresh();
    steps.push('refresh');
    answer = await send();
    steps.push(answer.res.status);
  }
  return answer;
}

async function main() {
  await getTokens();
  const key = `fetch-example-${randomUUID()}`;
  const flaky = await getWithRefresh(`/api/v1/flaky?fail=1&key=${key}`);
  const data = await call('GET', '/api/v1/data', {
    headers: { Authorization: `Bearer ${tokens.access_token}` },
  });
  console.log(`flow: ${steps.join(' -> ')}`);
  if (steps.join(' ') !== '401 refresh 200' || flaky.res.status !== 200) {
    console.log('FAILED: expected 401 -> refresh -> 200');
    return 1;
  }
  if (data.res.status !== 200) {
    console.log(`FAILED: GET /api/v1/data with the refreshed token answered ${data.res.status}`);
    return 1;
  }
  console.log(`data: ${data.body.message}`);
  console.log('OK');
  return 0;
}

// The exit status: main()'s, or 1 if it threw (2 when nothing answered). A module may await at
// its top level.
let status;
try {
  status = await main();
} catch (err) {
  // fetch says only "fetch failed" when nothing answered; the cause says why.
  const unreachable = err?.message === 'fetch failed' || err?.name === 'TimeoutError';
  const hint = unreachable ? ` (is the server up at ${BASE_URL}?)` : '';
  console.log(`FAILED: ${err?.message ?? err}${hint}`);
  status = unreachable ? 2 : 1;
}
process.exit(status);
