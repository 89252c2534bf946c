#!/usr/bin/env node
/* global process, console, URLSearchParams */
// Refresh-on-401 with an axios response interceptor, against four-oh-one.
//
// The interceptor sees every failed response. On a 401 it refreshes the token once (one refresh
// shared by all requests that fail at the same time), and retries the request once; a request
// that was already retried is not retried again, so a bad key fails fast instead of looping.
//
// Flow: POST /auth/token (the first article's {"api_key", "api_secret"}), then
// GET /api/v1/flaky?fail=1&key=<random>, which answers 401 token_expired once, then 200;
// then GET /api/v1/data. The refresh authenticates the client again (client_id and
// client_secret): a confidential client's refresh token is useless without it (RFC 6749 §6).
// Exits 0 only when the flow was 401 -> refresh -> 200; 1 otherwise;
// 2 when the server cannot be reached. The host is $FOUR_OH_ONE_URL (default
// http://127.0.0.1:3000). Needs axios (npm install axios; it is a devDependency here).
// Run: npm start (in another terminal), then node examples/node/axios-refresh.mjs
import { randomUUID } from 'node:crypto';
import axios from 'axios';

const BASE_URL = (process.env.FOUR_OH_ONE_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
const CLIENT = { client_id: 'YOUR_VALID_API_KEY', client_secret: 'YOUR_VALID_API_SECRET' };
const steps = [];
let tokens;

const api = axios.create({ baseURL: BASE_URL, timeout: 10_000, proxy: false });

const log = (response) => {
  const code = response.data?.code ? ` ${response.data.code}` : '';
  console.log(
    `${response.config.method.toUpperCase()} ${response.config.url.split('?')[0]} -> ${response.status}${code}`,
  );
};

api.interceptors.request.use((config) => {
  if (tokens && !config.url.startsWith('/auth/')) {
    config.headers.Authorization = `Bearer ${tokens.access_token}`;
  }
  return config;
});

let refreshing = null;

/** One refresh at a time: concurrent 401s wait for the same new token. */
function refreshOnce() {
  refreshing ??= api
    .post(
      '/auth/token',
      new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        ...CLIENT, // a confidential client authenticates whenever it refreshes
      }),
    )
    .then((response) => {
      tokens = response.data; // the refresh token rotates: keep the new one
      steps.push('refresh');
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

api.interceptors.response.use(
  (response) => {
    log(response);
    if (!response.config.url.startsWith('/auth/')) steps.push(response.status);
    return response;
  },
  async (error) => {
    const { config, response } = error;
    if (!response) throw error; // no answer at all: nothing to refresh
    log(response);
    if (!config.url.startsWith('/auth/')) steps.push(response.status);
    if (response.status !== 401 || config.retried || config.url.startsWith('/auth/')) throw error;
    console.log(`  WWW-Authenticate: ${response.headers['www-authenticate']}`);
    console.log(`  request id: ${response.headers['x-request-id']} (GET /explain/<id> says why)`);
    await refreshOnce();
    config.retried = true;
    return api(config);
  },
);

async function main() {
  const first = await api.post('/auth/token', {
    api_key: 'YOUR_VALID_API_KEY',
    api_secret: 'YOUR_VALID_API_SECRET',
  });
  tokens = first.data;
  const key = `axios-example-${randomUUID()}`;
  const flaky = await api.get(`/api/v1/flaky?fail=1&key=${key}`);
  const flow = steps.join(' -> ');
  const data = await api.get('/api/v1/data');
  console.log(`flow: ${flow}`);
  if (flow !== '401 -> refresh -> 200' || flaky.status !== 200) {
    console.log('FAILED: expected 401 -> refresh -> 200');
    return 1;
  }
  console.log(`data: ${data.data.message}`);
  console.log('OK');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    const unreachable = err?.code === 'ECONNREFUSED' || err?.code === 'ECONNABORTED';
    const status = err?.response
      ? ` (${err.response.status} ${err.response.data?.code ?? ''})`
      : '';
    console.log(
      `FAILED: ${err?.message ?? err}${status}${unreachable ? ` (is the server up at ${BASE_URL}?)` : ''}`,
    );
    process.exit(unreachable ? 2 : 1);
  },
);
