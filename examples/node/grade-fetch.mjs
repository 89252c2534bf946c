#!/usr/bin/env node
/* global process, console, fetch, URLSearchParams, AbortSignal */
// Grade a client (plain fetch, Node 20+) with a run: the pattern for a client's own test suite.
//
// 1. POST /runs {"script": "expiry"} opens a run: the first access token the run sees on a
//    protected resource is expired from its first use on (401 token_expired).
// 2. The client under test talks to the run's base URL (http://…/runs/<id>) instead of the
//    server's: every route answers as usual, and every request is recorded.
// 3. GET <report_url> judges what the client did; a test asserts `report.findings` is empty.
//
// Two clients meet the same script:
// - correct: on 401, refresh once (grant_type=refresh_token, keeping the rotated refresh token)
//   and retry once;
// - buggy: on 401, sends the same refused token again, three times, hoping it gets better.
// The correct one's report must pass; the buggy one's must name refused_credential_retried.
//
// Exits 0 when both reports say what they should, 1 otherwise, 2 when no server answers.
// The host is $FOUR_OH_ONE_URL, default http://127.0.0.1:3000 (npm start).
// Run: npm start (in another terminal), then node examples/node/grade-fetch.mjs

const SERVER = (process.env.FOUR_OH_ONE_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
const TIMEOUT_MS = 10_000;
const CLIENT = { client_id: 'YOUR_VALID_API_KEY', client_secret: 'YOUR_VALID_API_SECRET' };

async function json(url, init = {}) {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  const text = await res.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: body stays null
  }
  return { res, body };
}

/** Opens a run for a script: its base URL stands in for the server's in the client under test. */
async function openRun(script) {
  const { res, body } = await json(`${SERVER}/runs`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ script }),
  });
  if (res.status !== 201 && res.status !== 200) {
    throw new Error(`POST /runs answered ${res.status} ${body?.code ?? ''}`);
  }
  return body;
}

/** A small API client: tokens from the article's JSON, GET with a Bearer token. */
function apiClient(baseUrl) {
  let tokens;
  const log = (method, path, res, body) =>
    console.log(`  ${method} ${path} -> ${res.status}${body?.code ? ` ${body.code}` : ''}`);
  return {
    async signIn() {
      const { res, body } = await json(`${baseUrl}/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ api_key: CLIENT.client_id, api_secret: CLIENT.client_secret }),
      });
      log('POST', '/auth/token', res, body);
      if (res.status !== 200) throw new Error(`could not get a token: ${res.status}`);
      tokens = body;
    },
    async refresh() {
      const { res, body } = await json(`${baseUrl}/auth/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: tokens.refresh_token,
          ...CLIENT, // a confidential client authenticates whenever it refreshes (RFC 6749 §6)
        }),
      });
      log('POST', '/auth/token (refresh)', res, body);
      if (res.status !== 200) throw new Error(`refresh failed: ${res.status}`);
      tokens = body; // the refresh token rotates: keep the new one
    },
    async get(path) {
      const answer = await json(`${baseUrl}${path}`, {
        headers: { Authorization: `Bearer ${tokens.access_token}` },
      });
      log('GET', path, answer.res, answer.body);
      return answer;
    },
  };
}

/** The correct client: on 401, refresh once and retry once; a second 401 is final. */
async function correctClient(baseUrl) {
  const api = apiClient(baseUrl);
  await api.signIn();
  let answer = await api.get('/api/v1/data');
  if (answer.res.status === 401) {
    await api.refresh();
    answer = await api.get('/api/v1/data');
  }
  return answer.res.status;
}

/** The buggy client: on 401, the same token again, three times. */
async function buggyClient(baseUrl) {
  const api = apiClient(baseUrl);
  await api.signIn();
  let answer = await api.get('/api/v1/data');
  for (let i = 0; i < 3 && answer.res.status === 401; i += 1)
    answer = await api.get('/api/v1/data');
  return answer.res.status;
}

/** Runs one client in a run of its own and returns the run's report. */
async function grade(name, client) {
  const run = await openRun('expiry');
  console.log(`${name} client, run ${run.id} (script expiry):`);
  const status = await client(run.base_url);
  const { body: report } = await json(run.report_url, {
    headers: { Accept: 'application/json' },
  });
  const rules = report.findings.map((f) => f.rule);
  console.log(`  last answer ${status}; findings: ${rules.length ? rules.join(', ') : 'none'}`);
  for (const f of report.findings) {
    console.log(`    ${f.severity} ${f.rule} (requests ${f.evidence.join(', ')}): ${f.fix}`);
  }
  for (const note of report.observations ?? []) console.log(`    noted: ${note.summary}`);
  return rules;
}

async function main() {
  const correct = await grade('correct', correctClient);
  const buggy = await grade('buggy', buggyClient);
  const ok = correct.length === 0 && buggy.includes('refused_credential_retried');
  console.log(
    ok
      ? 'OK: the correct client passed; the buggy one was caught retrying a refused token'
      : 'FAILED: the reports did not say what they should',
  );
  return ok ? 0 : 1;
}

let status;
try {
  status = await main();
} catch (err) {
  const unreachable = err?.message === 'fetch failed' || err?.name === 'TimeoutError';
  const hint = unreachable ? ` (is the server up at ${SERVER}?)` : '';
  console.log(`FAILED: ${err?.message ?? err}${hint}`);
  status = unreachable ? 2 : 1;
}
process.exit(status);
