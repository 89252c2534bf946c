import { generateKeyPairSync } from './key-pairs';
import type { Response } from 'supertest';
import { OPENAI_ERROR_CONTENT_TYPE, openAiErrorCode } from '../src/http/problems';
import { problemCatalog, type ProblemCode } from '../src/scenarios/catalog';
import {
  families,
  registryFor,
  registrySettings,
  defaultScenarios,
  type Scenario,
} from '../src/scenarios';
import { fillBody, fillHeaders, SPECIMEN_NAMES, type Specimens } from '../src/tokens/specimens';
import { buildApp, expectChallenge, expectProblem } from './helpers';

const scenarios = defaultScenarios();

/** A PEM private key made for this run, as JWT_PRIVATE_KEY takes it (newlines escaped). */
function privateKeyPem(type: 'ec' | 'rsa'): string {
  const { privateKey } =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return String(privateKey.export({ type: 'pkcs8', format: 'pem' })).replace(/\n/g, '\\n');
}

interface Configuration {
  name: string;
  /** What it adds to the test defaults. */
  env: () => Record<string, string>;
  /** Headers every request carries: what a proxy in front adds (X-Forwarded-Proto). */
  headers?: Record<string, string>;
}

/**
 * The configurations besides the default under which every trigger must still give its
 * documented answer: every trigger, under any configuration (see ARCHITECTURE.md). The registry
 * is built from each configuration (src/scenarios `registryFor`), as the server serves it. One
 * more configuration is one more entry here: a name, the environment it adds, and what a proxy
 * in front adds.
 */
const CONFIGURATIONS: Configuration[] = [
  { name: 'an ES256 JWT_PRIVATE_KEY', env: () => ({ JWT_PRIVATE_KEY: privateKeyPem('ec') }) },
  { name: 'an RS256 JWT_PRIVATE_KEY', env: () => ({ JWT_PRIVATE_KEY: privateKeyPem('rsa') }) },
  {
    name: 'other ports, a PUBLIC_URL and a shorter step-up max age',
    env: () => ({
      PORT: '4400',
      CORS_DEMO_PORT: '4401',
      PUBLIC_URL: 'https://sandbox.four-oh-one.test',
      STEP_UP_MAX_AGE_SECONDS: '120',
    }),
  },
  {
    // COOKIE_SECURE names the cookie __Host-… and marks it Secure; behind a TLS-terminating proxy
    // the app learns the request was https from X-Forwarded-Proto, which TRUST_PROXY lets count.
    name: 'COOKIE_SECURE=true behind a TLS proxy',
    env: () => ({ COOKIE_SECURE: 'true', TRUST_PROXY: 'loopback' }),
    headers: { 'X-Forwarded-Proto': 'https' },
  },
  {
    name: 'a CORS_ORIGINS of one https origin',
    env: () => ({ CORS_ORIGINS: 'https://app.four-oh-one.test' }),
  },
];

/**
 * The catalog is the test: every registered scenario's trigger is fired at the app, and the
 * answer must be exactly what the registry documents.
 */
describe('the scenario registry', () => {
  describeTriggers({ name: 'the defaults', env: () => ({}) });
  describeIntegrity();
});

describe.each(CONFIGURATIONS)('the scenario registry with $name', (configuration) => {
  describeTriggers(configuration);
});

/** Fires every trigger, twice, at an app built with this configuration. */
function describeTriggers(configuration: Configuration): void {
  const ctx = buildApp({ env: configuration.env() });
  // The registry as this configuration serves it; the cards it cannot fire are checked apart.
  const registry = registryFor(registrySettings(ctx.config));
  const fired = registry.filter((s) => s.trigger.fired !== false);
  let specimens: Specimens;

  beforeAll(async () => {
    specimens = await ctx.specimens.get();
  });

  async function fire(s: Scenario) {
    let req = ctx.http()[s.trigger.method.toLowerCase() as 'get'](s.trigger.path);
    for (const [name, value] of Object.entries(configuration.headers ?? {}))
      req = req.set(name, value);
    // A list is one field per value: superagent sends a header set to an array once per value.
    for (const [name, value] of Object.entries(fillHeaders(s.trigger.headers, specimens))) {
      req = req.set(name, value as string);
    }
    if (s.trigger.body !== undefined) {
      const body = fillBody(s.trigger.body, specimens);
      req = s.trigger.contentType === 'form' ? req.type('form').send(body) : req.send(body);
    }
    return req;
  }

  it.each(fired.map((s) => [s.id, s] as const))('%s answers as documented', async (_id, s) => {
    await expectDocumented(s);
  });

  // Every trigger gives its documented answer every time it is fired, by any visitor: a client
  // test suite that runs twice must not see a scenario change because someone fired it before.
  it.each(fired.map((s) => [s.id, s] as const))(
    '%s answers the same when fired again',
    async (_id, s) => {
      await expectDocumented(s);
    },
  );

  // What GET /scenarios teaches is what this configuration answers: the registry fired here.
  it('serves, at /scenarios, the very triggers and expectations fired here', async () => {
    const served = (await ctx.http().get('/scenarios').expect(200)).body.scenarios as {
      id: string;
      trigger: { method: string; path: string; headers: Record<string, string> };
      expect: unknown;
    }[];
    expect(served.map((x) => x.id)).toEqual(registry.map((x) => x.id));
    for (const [i, s] of registry.entries()) {
      const headers = fillHeaders(s.trigger.headers, specimens);
      expect(served[i]).toMatchObject({
        id: s.id,
        trigger: { method: s.trigger.method, path: s.trigger.path, headers },
        expect: JSON.parse(JSON.stringify(s.expect)),
      });
    }
  });

  it('serves the pages built from specimens: /scenarios, /tokens/specimens, /playground', async () => {
    for (const path of ['/scenarios', '/tokens/specimens', '/playground']) {
      expect({ path, status: (await ctx.http().get(path)).status }).toEqual({ path, status: 200 });
    }
  });

  // A client verifies this server's tokens with the key its JWKS publishes for their kid.
  it('publishes the key that signs its tokens in the JWKS, without private members', async () => {
    const [header = ''] = specimens.valid.split('.');
    const { alg, kid } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    expect(alg).toBe(ctx.keys.signing.alg);
    const res = await ctx.http().get('/.well-known/jwks.json').expect(200);
    const published = res.body.keys.find((k: { kid: string }) => k.kid === kid);
    if (alg === 'HS256') {
      expect(published).toBeUndefined(); // a shared secret is never published
    } else {
      expect(published).toMatchObject({
        kid,
        alg,
        use: 'sig',
        kty: alg === 'ES256' ? 'EC' : 'RSA',
      });
    }
    for (const key of res.body.keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']) {
        expect({ kid: key.kid, [member]: key[member] }).toEqual({ kid: key.kid });
      }
    }
  });

  async function expectDocumented(s: Scenario): Promise<void> {
    const res = await fire(s);
    const challenge = s.expect.challenge;
    // A challenge with a fresh value (a Digest nonce) is matched against its pattern instead.
    const pattern = s.expect.challengePattern;
    if (pattern !== undefined) {
      expect(res.headers['www-authenticate']).toMatch(new RegExp(`^${pattern}$`));
    }
    const exactChallenge = pattern === undefined ? challenge : undefined;
    if (s.expect.code && s.expect.envelope === 'openai') {
      expectOpenAiError(res, {
        status: s.expect.status,
        code: s.expect.code,
        challenge,
      });
    } else if (s.expect.code) {
      // With its occurrence: its explanation, or a urn:uuid (RFC 9457 §3.1.5).
      expectProblem(res, {
        status: s.expect.status,
        code: s.expect.code,
        challenge: exactChallenge,
      });
    } else {
      expect(res.status).toBe(s.expect.status);
      if (exactChallenge !== undefined) expectChallenge(res, exactChallenge);
    }
    // The rest in one assertion (a passing one costs one expect).
    const problem = s.expect.code !== undefined && s.expect.envelope !== 'openai';
    const headers = Object.keys(s.expect.headers ?? {});
    const absent = s.expect.absentHeaders ?? [];
    const header = (name: string) => res.headers[name.toLowerCase()] as unknown;
    expect({
      // This occurrence, never the path.
      instanceIsPath: problem && res.body.instance === s.trigger.path.split('?')[0],
      headers: Object.fromEntries(headers.map((name) => [name, header(name)])),
      absent: Object.fromEntries(absent.map((name) => [name, header(name)])),
      requestId: res.headers['x-request-id'],
    }).toEqual({
      instanceIsPath: false,
      headers: s.expect.headers ?? {},
      absent: Object.fromEntries(absent.map((name) => [name, undefined])),
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  }
}

/** The registry's own consistency: independent of any configuration. */
function describeIntegrity(): void {
  describe('integrity', () => {
    it('keeps each family in its own file, src/scenarios/<family>.ts', async () => {
      for (const family of Object.keys(families)) {
        const file = (await import(`../src/scenarios/${family}`)) as { scenarios: Scenario[] };
        const strangers = file.scenarios.filter((s) => s.family !== family).map((s) => s.id);
        expect({ family, strangers }).toEqual({ family, strangers: [] });
      }
    });

    it('joins the families one after another, in the order of `families`', () => {
      const order = scenarios.map((s) => s.family).filter((f, i, all) => f !== all[i - 1]);
      expect(order).toEqual(Object.keys(families));
    });

    it('has unique scenario ids in kebab-case', () => {
      const ids = scenarios.map((s) => s.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    });

    it('documents status and code consistently with the problem catalog', () => {
      for (const s of scenarios) {
        if (s.expect.code) expect(s.expect.status).toBe(problemCatalog[s.expect.code].status);
        else expect(s.expect.status).toBeLessThan(400);
      }
    });

    it('has a card for every problem code the server can answer', () => {
      const shown = new Set(scenarios.map((s) => s.expect.code));
      const missing = Object.keys(problemCatalog).filter((code) => !shown.has(code as ProblemCode));
      expect(missing).toEqual([]);
    });

    it('says, on every card it does not fire, why and how to see the answer', () => {
      for (const s of scenarios.filter((x) => x.trigger.fired === false)) {
        expect({ id: s.id, setup: (s.trigger.setup ?? '').length > 40 }).toEqual({
          id: s.id,
          setup: true,
        });
      }
      // Only cards that are not fired carry a setup: a fired card's trigger is the whole recipe.
      for (const s of scenarios.filter((x) => x.trigger.fired !== false)) {
        expect({ id: s.id, setup: s.trigger.setup }).toEqual({ id: s.id, setup: undefined });
      }
    });

    // But the vapid scheme's: RFC 8292 §3 says its challenge "MUST NOT be sent", and §4.2 asks
    // for a 401 without credentials; the scheme's own RFC is followed there.
    const CHALLENGE_FORBIDDEN: ReadonlySet<string> = new Set(['vapid_credentials_missing']);
    it('puts a challenge on every 401 (RFC 9110 §15.5.2), but where RFC 8292 forbids one', () => {
      for (const s of scenarios.filter((x) => x.expect.status === 401)) {
        if (CHALLENGE_FORBIDDEN.has(s.expect.code ?? '')) {
          expect({ id: s.id, challenge: s.expect.challenge }).toEqual({
            id: s.id,
            challenge: null,
          });
        } else {
          expect(s.expect.challenge).toEqual(expect.any(String));
        }
      }
    });

    it('declares the OpenAI envelope exactly for the errors on /v1/*', () => {
      for (const s of scenarios.filter((x) => x.expect.code)) {
        const onV1 = s.trigger.path.startsWith('/v1/');
        expect({ id: s.id, envelope: s.expect.envelope }).toEqual({
          id: s.id,
          envelope: onV1 ? 'openai' : undefined,
        });
      }
    });

    it('gives every scenario an explanation and an RFC reference', () => {
      for (const s of scenarios) {
        expect(s.explanation.length).toBeGreaterThan(40);
        expect(s.rfc.length).toBeGreaterThan(0);
      }
    });

    it('gives every problem code a title, explanation, remedy and RFC reference', () => {
      for (const [code, p] of Object.entries(problemCatalog)) {
        expect(code).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
        expect(p.title.length).toBeGreaterThan(3);
        expect(p.explanation.length).toBeGreaterThan(40);
        expect(p.remedy.length).toBeGreaterThan(10);
        expect(p.rfc.length).toBeGreaterThan(0);
        // Titles become RFC 6750 error_description values: ASCII without quotes or backslashes.
        expect(p.title).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
      }
    });

    it('names only specimen tokens that exist', () => {
      for (const s of scenarios) {
        const browserHeaders = (s.browser ?? []).flatMap((v) =>
          Object.values(v.fetch.headers ?? {}),
        );
        for (const value of [...Object.values(s.trigger.headers ?? {}).flat(), ...browserHeaders]) {
          for (const m of value.matchAll(/\{\{token:([a-z_]+)\}\}/g)) {
            expect(SPECIMEN_NAMES).toContain(m[1]);
          }
        }
      }
    });
  });
}

/** A `/v1/*` error: OpenAI's envelope, our code mapped to OpenAI's, the request id in the message. */
function expectOpenAiError(
  res: Response,
  expected: { status: number; code: ProblemCode; challenge: string | null },
): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({
    status: expected.status,
    code: openAiErrorCode(expected.code),
  });
  expect(res.headers['content-type']).toBe(OPENAI_ERROR_CONTENT_TYPE);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(Object.keys(res.body)).toEqual(['error']);
  const { message, type, param } = res.body.error;
  expect(message.endsWith(` (request id: ${res.headers['x-request-id']})`)).toBe(true);
  expect(type).toBe(expected.status >= 500 ? 'server_error' : 'invalid_request_error');
  expect(param === null || typeof param === 'string').toBe(true);
  expectChallenge(res, expected.challenge);
}
