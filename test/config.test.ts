import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_SCHEMA, CONFIG_VARIABLES, ConfigError, loadConfig } from '../src/config';

const SECRET = 's'.repeat(32);
const ORIGINS = 'CORS_ORIGINS: must list exact origins, scheme://host[:port], comma-separated; ';

describe('loadConfig', () => {
  it('works with no environment at all', () => {
    const config = loadConfig({}, { randomBytes: (n) => Buffer.alloc(n, 7) });
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      publicUrl: 'http://127.0.0.1:3000',
      logLevel: 'info',
      redisUrl: undefined,
      trustProxy: false,
      store: { maxEntries: 200_000 },
      jwt: {
        secretGenerated: true,
        issuer: 'http://127.0.0.1:3000',
        audience: 'four-oh-one',
        clockToleranceSeconds: 30,
      },
    });
    expect(config.jwt.secret).toEqual(Buffer.alloc(32, 7));
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toMatch(/^JWT_SECRET is unset/);
  });

  it('makes a different secret each start when JWT_SECRET is unset', () => {
    expect(loadConfig({}).jwt.secret.equals(loadConfig({}).jwt.secret)).toBe(false);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      PUBLIC_URL: 'https://sandbox.example/',
      LOG_LEVEL: 'silent',
      JWT_SECRET: SECRET,
      JWT_ISSUER: 'https://issuer.example',
      JWT_AUDIENCE: 'my-api',
      JWT_CLOCK_TOLERANCE_SECONDS: '0',
      REDIS_URL: 'redis://redis:6379/0',
      TRUST_PROXY: '1',
      STORE_MAX_ENTRIES: '1000',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      publicUrl: 'https://sandbox.example',
      logLevel: 'silent',
      redisUrl: 'redis://redis:6379/0',
      trustProxy: 1,
      store: { maxEntries: 1000 },
      jwt: {
        secretGenerated: false,
        issuer: 'https://issuer.example',
        audience: 'my-api',
        clockToleranceSeconds: 0,
      },
      warnings: [],
    });
    expect(config.jwt.secret.toString()).toBe(SECRET);
  });

  it('has the demo credentials of the articles by default, and lets them be overridden', () => {
    expect(loadConfig({ JWT_SECRET: SECRET }).demo).toEqual({
      apiKey: 'YOUR_VALID_API_KEY',
      apiSecret: 'YOUR_VALID_API_SECRET',
      username: 'my_username',
      password: 'my_password',
      adminUsername: 'admin',
      adminPassword: 'admin-password',
      openaiKey: 'sk-demo-four-oh-one',
    });
    expect(
      loadConfig({ JWT_SECRET: SECRET, DEMO_API_SECRET: 'another-secret' }).demo.apiSecret,
    ).toBe('another-secret');
  });

  it('reads token lifetimes and the rotation grace period', () => {
    const config = loadConfig({
      JWT_SECRET: SECRET,
      ACCESS_TOKEN_TTL_SECONDS: '60',
      ACCESS_TOKEN_MAX_TTL_SECONDS: '120',
      REFRESH_TOKEN_TTL_SECONDS: '600',
      STEP_UP_MAX_AGE_SECONDS: '30',
      REFRESH_REUSE_GRACE_SECONDS: '5',
      REFRESH_TOKEN_IDLE_SECONDS: '120',
      JWT_PREVIOUS_SECRET: 'p'.repeat(32),
      JWT_PREVIOUS_SECRET_VALID_UNTIL: '2026-12-01T00:00:00Z',
    });
    expect(config.tokens).toEqual({
      accessTtlSeconds: 60,
      accessMaxTtlSeconds: 120,
      refreshTtlSeconds: 600,
      refreshIdleSeconds: 120,
      refreshReuseGraceSeconds: 5,
      stepUpMaxAgeSeconds: 30,
    });
    expect(loadConfig({ JWT_SECRET: SECRET }).tokens.refreshReuseGraceSeconds).toBe(30);
    // The idle lifetime defaults to the family's absolute one, and is never longer.
    expect(loadConfig({ JWT_SECRET: SECRET }).tokens.refreshIdleSeconds).toBe(86_400);
    expect(
      loadConfig({
        JWT_SECRET: SECRET,
        REFRESH_TOKEN_TTL_SECONDS: '600',
        REFRESH_TOKEN_IDLE_SECONDS: '900',
      }).tokens.refreshIdleSeconds,
    ).toBe(600);
    expect(config.keys.previousSecretValidUntil).toBe(Date.parse('2026-12-01T00:00:00Z'));
  });

  it('defaults the issuer to PUBLIC_URL', () => {
    expect(loadConfig({ PUBLIC_URL: 'http://localhost:9999', JWT_SECRET: SECRET }).jwt.issuer).toBe(
      'http://localhost:9999',
    );
  });

  it('allows the CORS demo page and Vite by default, following CORS_DEMO_PORT', () => {
    expect(loadConfig({ JWT_SECRET: SECRET }).cors).toEqual({
      demoPort: 3001,
      origins: [
        'http://127.0.0.1:3001',
        'http://localhost:3001',
        'http://localhost:5173',
        'http://127.0.0.1:5173',
      ],
    });
    expect(loadConfig({ JWT_SECRET: SECRET, CORS_DEMO_PORT: '0' }).cors).toEqual({
      demoPort: 0,
      origins: ['http://localhost:5173', 'http://127.0.0.1:5173'],
    });
  });

  it('reads CORS_ORIGINS as a comma-separated list of exact origins', () => {
    const config = loadConfig({
      JWT_SECRET: SECRET,
      CORS_ORIGINS:
        ' https://app.example , http://localhost:8080,,https://app.example,http://[::1]:3001 ',
      CORS_DEMO_PORT: '4000',
    });
    expect(config.cors).toEqual({
      demoPort: 4000,
      origins: ['https://app.example', 'http://localhost:8080', 'http://[::1]:3001'],
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', REDIS_URL: '', JWT_SECRET: SECRET })).toMatchObject({
      port: 3000,
      redisUrl: undefined,
    });
  });

  it('reads the limits on refused credentials, with their defaults', () => {
    expect(loadConfig({ JWT_SECRET: SECRET })).toMatchObject({
      loginLimits: { perAccount: 5, perAddress: 20, windowSeconds: 900 },
      credentialLimits: { perAccount: 20, perAddress: 100, windowSeconds: 60 },
      digestRequestsPerMinute: 120,
    });
    expect(
      loadConfig({
        JWT_SECRET: SECRET,
        CREDENTIAL_MAX_FAILURES_PER_ACCOUNT: '3',
        CREDENTIAL_MAX_FAILURES_PER_ADDRESS: '30',
        CREDENTIAL_WINDOW_SECONDS: '600',
        DIGEST_MAX_REQUESTS_PER_MINUTE: '10',
      }),
    ).toMatchObject({
      credentialLimits: { perAccount: 3, perAddress: 30, windowSeconds: 600 },
      digestRequestsPerMinute: 10,
    });
  });

  it.each([
    ['true', true],
    ['false', false],
    ['2', 2],
    ['loopback', 'loopback'],
    ['10.0.0.0/8, 127.0.0.1', '10.0.0.0/8, 127.0.0.1'],
  ])('reads TRUST_PROXY=%s', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value, JWT_SECRET: SECRET }).trustProxy).toEqual(expected);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT: must be a whole number'],
    [{ PORT: '70000' }, 'PORT: '],
    [{ PORT: '-1' }, 'PORT: must be a whole number'],
    [
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent',
    ],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET: must be at least 32 bytes'],
    [{ JWT_ISSUER: 'not a url' }, 'JWT_ISSUER: must be an absolute URL'],
    [{ PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL: must be an absolute http(s) URL'],
    [{ JWT_CLOCK_TOLERANCE_SECONDS: '3600' }, 'JWT_CLOCK_TOLERANCE_SECONDS: '],
    [{ REDIS_URL: 'http://redis:6379' }, 'REDIS_URL: must be a redis:// or rediss:// URL'],
    [{ TRUST_PROXY: 'everyone!' }, 'TRUST_PROXY: must be true, false, a hop count'],
    [{ STORE_MAX_ENTRIES: '5' }, 'STORE_MAX_ENTRIES: '],
    [{ CREDENTIAL_MAX_FAILURES_PER_ACCOUNT: '0' }, 'CREDENTIAL_MAX_FAILURES_PER_ACCOUNT: '],
    [
      { CREDENTIAL_MAX_FAILURES_PER_ADDRESS: 'many' },
      'CREDENTIAL_MAX_FAILURES_PER_ADDRESS: must be',
    ],
    [{ CREDENTIAL_WINDOW_SECONDS: '0' }, 'CREDENTIAL_WINDOW_SECONDS: '],
    [
      { DIGEST_MAX_REQUESTS_PER_MINUTE: '-5' },
      'DIGEST_MAX_REQUESTS_PER_MINUTE: must be a whole number',
    ],
    [{ ACCESS_TOKEN_TTL_SECONDS: '0' }, 'ACCESS_TOKEN_TTL_SECONDS: '],
    [
      { ACCESS_TOKEN_TTL_SECONDS: '7200' },
      'ACCESS_TOKEN_TTL_SECONDS: must not exceed ACCESS_TOKEN_MAX_TTL_SECONDS',
    ],
    [{ JWT_PRIVATE_KEY: 'not a pem' }, 'JWT_PRIVATE_KEY: must be a PEM private key'],
    [
      { JWT_PREVIOUS_SECRET: 'p'.repeat(32) },
      'JWT_PREVIOUS_SECRET_VALID_UNTIL: set it together with JWT_PREVIOUS_SECRET',
    ],
    [
      { JWT_PREVIOUS_SECRET: 'p'.repeat(32), JWT_PREVIOUS_SECRET_VALID_UNTIL: 'tomorrow' },
      'JWT_PREVIOUS_SECRET_VALID_UNTIL: must be an ISO 8601',
    ],
    [{ DEMO_API_KEY: 'has space' }, 'DEMO_API_KEY: must be 1-128 printable ASCII'],
    [{ DEMO_PASSWORD: 'a:b' }, 'DEMO_PASSWORD: must be 1-128 printable ASCII'],
    [{ CORS_ORIGINS: '*' }, ORIGINS + '"*" is not allowed'],
    [{ CORS_ORIGINS: 'https://*.app.example' }, ORIGINS + '"*" is not allowed'],
    [{ CORS_ORIGINS: 'http://localhost:5173,null' }, ORIGINS + '"null" is never allowed'],
    [{ CORS_ORIGINS: 'app.example' }, ORIGINS + '"app.example" is not one'],
    [
      { CORS_ORIGINS: 'https://app.example/' },
      ORIGINS + '"https://app.example/" is not one (browsers send "https://app.example")',
    ],
    [
      { CORS_ORIGINS: 'https://app.example/login' },
      ORIGINS + '"https://app.example/login" is not one (browsers send "https://app.example")',
    ],
    [
      { CORS_ORIGINS: 'https://App.Example:443' },
      ORIGINS + '"https://App.Example:443" is not one (browsers send "https://app.example")',
    ],
    [{ CORS_ORIGINS: 'ws://app.example' }, ORIGINS + '"ws://app.example" is not http or https'],
    [{ CORS_DEMO_PORT: 'on' }, 'CORS_DEMO_PORT: must be a whole number'],
    [{ CORS_DEMO_PORT: '65536' }, 'CORS_DEMO_PORT: '],
    [
      { PORT: '4000', CORS_DEMO_PORT: '4000' },
      'CORS_DEMO_PORT: must differ from PORT (the demo page is a second origin); ',
    ],
  ])('stops on %j with one line naming the variable', (env, message) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message.startsWith(message)).toBe(true);
    expect((error as Error).message).not.toContain('\n');
  });

  it('never puts the secret in an error message', () => {
    expect(() => loadConfig({ JWT_SECRET: 'tiny-secret' })).toThrow(
      /^JWT_SECRET: must be at least 32 bytes$/,
    );
  });
  describe('with REDIS_URL (several instances on one Redis)', () => {
    const shared = { JWT_SECRET: 'y'.repeat(32), REDIS_URL: 'redis://redis:6379' };
    const issuerWarnings = (env: Record<string, string>) =>
      loadConfig(env).warnings.filter((w) => w.includes('token_issuer_invalid'));

    it('warns that an issuer derived from the local port splits the instances', () => {
      const warnings = issuerWarnings({ ...shared, PORT: '3005' });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(
        /^REDIS_URL is set but PUBLIC_URL and JWT_ISSUER are not: the token issuer is http:\/\/127\.0\.0\.1:3005, /,
      );
    });

    it.each([
      [{ PUBLIC_URL: 'https://four-oh-one.example' }],
      [{ JWT_ISSUER: 'https://issuer.example' }],
    ])('does not warn with %j shared by every instance', (env) => {
      expect(issuerWarnings({ ...shared, ...env })).toEqual([]);
    });

    it('does not warn without REDIS_URL (one instance, its own issuer)', () => {
      expect(issuerWarnings({ JWT_SECRET: 'y'.repeat(32) })).toEqual([]);
    });
  });

  it('reads WEB_CONCURRENCY (default 1); more than one worker needs REDIS_URL', () => {
    expect(loadConfig({}).webConcurrency).toBe(1);
    const redis = { REDIS_URL: 'redis://redis:6379' };
    expect(loadConfig({ ...redis, WEB_CONCURRENCY: '4' }).webConcurrency).toBe(4);
    expect(() => loadConfig({ WEB_CONCURRENCY: '2' })).toThrow(
      /^WEB_CONCURRENCY: more than 1 worker needs REDIS_URL /,
    );
    expect(() => loadConfig({ ...redis, WEB_CONCURRENCY: '0' })).toThrow(/^WEB_CONCURRENCY: /);
    expect(() => loadConfig({ ...redis, WEB_CONCURRENCY: 'two' })).toThrow(
      /^WEB_CONCURRENCY: must be a whole number$/,
    );
  });

  it('reads SHUTDOWN_DRAIN_SECONDS (default 2) and refuses a bad one in one line', () => {
    expect(loadConfig({}).shutdown.drainSeconds).toBe(2);
    expect(loadConfig({ SHUTDOWN_DRAIN_SECONDS: '0' }).shutdown.drainSeconds).toBe(0);
    expect(() => loadConfig({ SHUTDOWN_DRAIN_SECONDS: '-1' })).toThrow(
      /^SHUTDOWN_DRAIN_SECONDS: must be a whole number$/,
    );
    expect(() => loadConfig({ SHUTDOWN_DRAIN_SECONDS: '301' })).toThrow(
      /^SHUTDOWN_DRAIN_SECONDS: /,
    );
  });
});

// --- The README's table of variables: every variable, its default, what startup accepts ----------

/** What the schema says of one variable: its default, integer range, choices, byte minimum. */
interface Rule {
  default?: unknown;
  min?: number;
  max?: number;
  choices?: string[];
  minBytes?: number;
}

interface ZodNode {
  _zod: { def: Record<string, unknown> };
  minValue?: number | null;
  maxValue?: number | null;
  safeParse: (v: unknown) => { success: boolean; error?: { issues: { message: string }[] } };
}

/** Walks a variable's schema (default → pipe → number, enum, …) and collects what it enforces. */
function ruleOf(schema: ZodNode): Rule {
  const rule: Rule = {};
  const walk = (node: ZodNode | undefined): void => {
    if (!node) return;
    const def = node._zod.def;
    if (def.type === 'default') rule.default = def.defaultValue;
    if (def.type === 'number') {
      rule.min = node.minValue ?? undefined;
      rule.max = node.maxValue ?? undefined;
    }
    if (def.type === 'enum' && rule.choices === undefined) {
      rule.choices = Object.values(def.entries as Record<string, string>);
    }
    for (const key of ['innerType', 'in', 'out']) walk(def[key] as ZodNode | undefined);
  };
  walk(schema);
  const refused = schema.safeParse('x');
  const bytes = /at least (\d+) bytes/.exec(refused.error?.issues[0]?.message ?? '');
  if (bytes) rule.minBytes = Number(bytes[1]);
  return rule;
}

/** The rows of the README's Configuration table, by variable: [default, accepted, meaning]. */
function readmeRows(): Map<string, string[]> {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Configuration'));
  const table = section.slice(0, section.indexOf('\n## ', 1));
  const rows = new Map<string, string[]>();
  for (const line of table.split('\n').filter((l) => l.startsWith('| `'))) {
    const [names = '', ...cells] = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    for (const [, variable] of names.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) {
      rows.set(variable as string, cells);
    }
  }
  return rows;
}

describe("the README's variables table", () => {
  const rows = readmeRows();
  const shape = CONFIG_SCHEMA.shape as unknown as Record<string, ZodNode>;

  it('names every variable loadConfig reads, and no other', () => {
    expect([...rows.keys()].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it.each(CONFIG_VARIABLES)('%s: its default, and the values startup accepts', (variable) => {
    const [defaults = '', accepted = ''] = rows.get(variable) ?? [];
    const plain = accepted.replace(/(\d),(?=\d{3})/g, '$1');
    const rule = ruleOf(shape[variable] as ZodNode);
    if (rule.default !== undefined) expect(defaults).toContain(`\`${String(rule.default)}\``);
    else expect(defaults).not.toBe('');
    if (rule.min !== undefined) expect(plain).toContain(`${rule.min}–${rule.max}`);
    for (const choice of rule.choices ?? []) expect(accepted).toContain(`\`${choice}\``);
    if (rule.minBytes !== undefined) expect(accepted).toContain(`at least ${rule.minBytes} bytes`);
    expect(accepted).not.toBe('');
  });

  it.each(CONFIG_VARIABLES.filter((v) => ruleOf(shape[v] as ZodNode).min !== undefined))(
    '%s: a value outside the documented range stops startup, naming it',
    (variable) => {
      const { min = 0, max = 0 } = ruleOf(shape[variable] as ZodNode);
      expect(() => loadConfig({ [variable]: String(max + 1) })).toThrow(
        new RegExp(`^${variable}: `),
      );
      if (min > 0) {
        expect(() => loadConfig({ [variable]: String(min - 1) })).toThrow(
          new RegExp(`^${variable}: `),
        );
      }
    },
  );

  // The limits startup enforces across variables, which no schema of one variable shows.
  it.each([
    [
      'ACCESS_TOKEN_TTL_SECONDS',
      'ACCESS_TOKEN_MAX_TTL_SECONDS',
      { ACCESS_TOKEN_TTL_SECONDS: '3601' },
    ],
    ['SESSION_IDLE_SECONDS', 'SESSION_ABSOLUTE_SECONDS', { SESSION_IDLE_SECONDS: '28801' }],
    ['CORS_DEMO_PORT', 'PORT', { CORS_DEMO_PORT: '3000' }],
    ['WEB_CONCURRENCY', 'REDIS_URL', { WEB_CONCURRENCY: '2' }],
    [
      'JWT_PREVIOUS_SECRET',
      'JWT_PREVIOUS_SECRET_VALID_UNTIL',
      { JWT_PREVIOUS_SECRET: 'p'.repeat(32) },
    ],
    [
      'JWT_PREVIOUS_SECRET_VALID_UNTIL',
      'JWT_PREVIOUS_SECRET',
      { JWT_PREVIOUS_SECRET_VALID_UNTIL: '2026-12-01T00:00:00Z' },
    ],
  ])('%s: startup refuses it against %s, and the table says so', (variable, other, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(rows.get(variable)?.[1]).toContain(`\`${other}\``);
  });
});
