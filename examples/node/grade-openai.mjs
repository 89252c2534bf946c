#!/usr/bin/env node
/* global process, console, fetch, AbortSignal */
// Grade an OpenAI SDK client with a run: the first article's "Invalid Token (request id: …)",
// met on purpose, and a report that says whether the client's fix was the article's.
//
// POST /runs {"script": "expiry"} opens a run whose first token is expired from its first use on.
// The SDK's baseURL is the run's base URL + "/v1" (the only change a client needs). Two clients:
// - correct: on AuthenticationError (401 invalid_api_key), get a new token (POST /auth/token,
//   the article's get_new_token()) and retry once with it;
// - buggy: on AuthenticationError, the same key again, three times.
// GET <report_url> then judges each: the correct one's findings must be empty, the buggy one's
// must name refused_credential_retried.
//
// Exits 0 when both reports say what they should, 1 otherwise, 2 when no server answers.
// The host is $FOUR_OH_ONE_URL, default http://127.0.0.1:3000 (npm start).
// Run: npm start (in another terminal), then node examples/node/grade-openai.mjs
import OpenAI from 'openai';

const SERVER = (process.env.FOUR_OH_ONE_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
const TIMEOUT_MS = 10_000;
const MESSAGES = [{ role: 'user', content: 'Hello' }];

async function post(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  return { res, body: await res.json() };
}

/** The article's get_new_token(): its JSON credentials, a fresh access token. */
async function getNewToken(baseUrl) {
  const { res, body } = await post(`${baseUrl}/auth/token`, {
    api_key: 'YOUR_VALID_API_KEY',
    api_secret: 'YOUR_VALID_API_SECRET',
  });
  console.log(`  POST /auth/token -> ${res.status}`);
  if (res.status !== 200) throw new Error(`could not get a token: ${res.status}`);
  return body.access_token;
}

/** One chat completion; the SDK's own retries are off so that the run sees every request. */
async function chat(baseUrl, apiKey) {
  const client = new OpenAI({ apiKey, baseURL: `${baseUrl}/v1`, maxRetries: 0 });
  try {
    const reply = await client.chat.completions.create({
      model: 'four-oh-one-echo',
      messages: MESSAGES,
    });
    console.log('  POST /v1/chat/completions -> 200');
    return reply;
  } catch (err) {
    if (!(err instanceof OpenAI.AuthenticationError)) throw err;
    console.log(`  POST /v1/chat/completions -> 401 ${err.code}: ${err.message}`);
    return err;
  }
}

/** The article's fix: a new token on Invalid Token, then one retry. */
async function correctClient(baseUrl) {
  let answer = await chat(baseUrl, await getNewToken(baseUrl));
  if (answer instanceof OpenAI.AuthenticationError) {
    answer = await chat(baseUrl, await getNewToken(baseUrl));
  }
  return answer instanceof Error ? 401 : 200;
}

/** The bug: the refused key again and again. */
async function buggyClient(baseUrl) {
  const key = await getNewToken(baseUrl);
  let answer = await chat(baseUrl, key);
  for (let i = 0; i < 3 && answer instanceof OpenAI.AuthenticationError; i += 1) {
    answer = await chat(baseUrl, key);
  }
  return answer instanceof Error ? 401 : 200;
}

async function grade(name, client) {
  const { res, body: run } = await post(`${SERVER}/runs`, { script: 'expiry' });
  if (res.status !== 201) throw new Error(`POST /runs answered ${res.status} ${run?.code ?? ''}`);
  console.log(`${name} client, run ${run.id} (script expiry):`);
  const status = await client(run.base_url);
  const report = await (
    await fetch(run.report_url, {
      headers: { Accept: 'application/json' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
  ).json();
  const rules = report.findings.map((f) => f.rule);
  console.log(`  last answer ${status}; findings: ${rules.length ? rules.join(', ') : 'none'}`);
  for (const f of report.findings) {
    console.log(`    ${f.severity} ${f.rule} (requests ${f.evidence.join(', ')}): ${f.fix}`);
  }
  for (const note of report.observations) console.log(`    noted: ${note.summary}`);
  return { rules, status };
}

async function main() {
  const correct = await grade('correct', correctClient);
  const buggy = await grade('buggy', buggyClient);
  const ok =
    correct.rules.length === 0 &&
    correct.status === 200 &&
    buggy.rules.includes('refused_credential_retried');
  console.log(
    ok
      ? 'OK: the correct client passed; the buggy one was caught retrying a refused key'
      : 'FAILED: the reports did not say what they should',
  );
  return ok ? 0 : 1;
}

let status;
try {
  status = await main();
} catch (err) {
  const unreachable =
    err instanceof OpenAI.APIConnectionError ||
    err?.message === 'fetch failed' ||
    err?.name === 'TimeoutError';
  const hint = unreachable ? ` (is the server up at ${SERVER}?)` : '';
  console.log(`FAILED: ${err?.message ?? err}${hint}`);
  status = unreachable ? 2 : 1;
}
process.exit(status);
