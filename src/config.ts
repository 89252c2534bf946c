import { createHmac, createPrivateKey, randomBytes } from 'node:crypto';
import { z } from 'zod';

/** The validated configuration every other module reads; nothing reads `process.env` directly. */
export interface Config {
  port: number;
  host: string;
  /** Where clients reach this server; used in curl examples and as the default issuer. */
  publicUrl: string;
  logLevel: LogLevel;
  jwt: {
    /** The HS256 secret as bytes. */
    secret: Buffer;
    /** True when JWT_SECRET was unset and a random secret was made for this process. */
    secretGenerated: boolean;
    issuer: string;
    audience: string;
    clockToleranceSeconds: number;
  };
  tokens: {
    /** Default access-token lifetime, seconds. */
    accessTtlSeconds: number;
    /** The longest access-token lifetime a client may ask for with `expires_in`. */
    accessMaxTtlSeconds: number;
    /** How long a refresh-token family lives from the login that started it. */
    refreshTtlSeconds: number;
    /**
     * How long a refresh token lives unused (idle): each rotation's token ends at the earlier of
     * now + this and the family's absolute end. Never more than refreshTtlSeconds.
     */
    refreshIdleSeconds: number;
    /**
     * How long a refresh token's first use may be repeated by the same client and get the same
     * answer (a retry after a lost response or a 503), before a second use is reuse.
     */
    refreshReuseGraceSeconds: number;
    /** RFC 9470: how recent a login the step-up route demands. */
    stepUpMaxAgeSeconds: number;
  };
  keys: {
    /** PEM of an EC P-256 or RSA private key: when set, it signs access tokens (ES256/RS256). */
    privateKeyPem: string | undefined;
    /** A secret retired by rotation; its tokens verify until `previousSecretValidUntil`. */
    previousSecret: Buffer | undefined;
    previousSecretValidUntil: number | undefined;
  };
  demo: {
    apiKey: string;
    apiSecret: string;
    username: string;
    password: string;
    adminUsername: string;
    adminPassword: string;
    openaiKey: string;
  };
  session: {
    /** Signs the session cookie; derived from JWT_SECRET unless SESSION_SECRET is set. */
    secret: Buffer;
    idleSeconds: number;
    absoluteSeconds: number;
    /** Production behind TLS: `Secure` and the `__Host-` cookie name prefix. */
    cookieSecure: boolean;
  };
  /** Failed logins at POST /login, per (account, client address) and per client address. */
  loginLimits: FailureLimits;
  /** Refused secrets everywhere else (OAuth client auth, password grant, Basic, Digest, API keys). */
  credentialLimits: FailureLimits;
  /** Requests per minute per client address on /digest-auth (each may store a nonce count). */
  digestRequestsPerMinute: number;
  redisUrl: string | undefined;
  /**
   * Worker processes behind one port (node:cluster; src/cluster.ts); 1 is one plain process.
   * More than one needs REDIS_URL: the embedded store lives in a single process.
   */
  webConcurrency: number;
  /** Passed to Express's `trust proxy` setting as is. */
  trustProxy: boolean | number | string;
  shutdown: {
    /** After SIGTERM, how long /readyz answers 503 before the server stops accepting. */
    drainSeconds: number;
  };
  store: {
    maxEntries: number;
    /** Bytes (keys, values, a fixed overhead per entry) the embedded store holds at most. */
    maxBytes: number;
    /** What one visitor (client address) may hold at once, in either store. */
    visitorMaxEntries: number;
    visitorMaxBytes: number;
  };
  /** Refusals per minute per client address whose explanation is kept for /explain/:id. */
  explainPerAddressPerMinute: number;
  /** Runs (/runs, grading a client) one client address may open per 30 minutes. */
  runsPerAddress: number;
  cors: {
    /** Exact origins (`scheme://host[:port]`) whose scripts may read this server's answers. */
    origins: string[];
    /** Port of the CORS demo page, a second origin started with the server; 0: not started. */
    demoPort: number;
  };
  /** Lines worth a warning at startup (e.g. a generated secret). */
  warnings: string[];
}

/** A failure budget in fixed windows; see middleware/rate-limit.ts. */
export interface FailureLimits {
  /** Refusals per (account, client address) per window; unknown accounts share one per address. */
  perAccount: number;
  /** Refusals per client address per window, whatever the account. */
  perAddress: number;
  windowSeconds: number;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Thrown by `loadConfig`; its message is one line naming the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** A demo credential: printable ASCII without spaces or colons, so it fits Basic auth and forms. */
const credential = z
  .string()
  .regex(
    /^[\x21-\x39\x3b-\x7e]{1,128}$/,
    'must be 1-128 printable ASCII characters without spaces or ":"',
  );

/**
 * The built-in demo credentials. They are the articles' own and are printed in the registry and
 * the pages; an operator who changes a secret among them wants it kept, so pages never show a
 * customised one (see `publishedDemoSecret`).
 */
export const DEFAULT_DEMO: Readonly<Config['demo']> = {
  apiKey: 'YOUR_VALID_API_KEY',
  apiSecret: 'YOUR_VALID_API_SECRET',
  username: 'my_username',
  password: 'my_password',
  adminUsername: 'admin',
  adminPassword: 'admin-password',
  openaiKey: 'sk-demo-four-oh-one',
};

/** The demo values that are secrets: passwords and keys, not user names or the client id. */
export type DemoSecret = 'apiSecret' | 'password' | 'adminPassword' | 'openaiKey';

/**
 * A demo secret as a page or JSON answer may show it: the built-in default as is, a customised
 * one never (undefined), whatever the page.
 */
export function publishedDemoSecret(name: DemoSecret, value: string): string | undefined {
  return value === DEFAULT_DEMO[name] ? value : undefined;
}

const schema = z.object({
  PORT: integer(0, 65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  JWT_SECRET: z
    .string()
    .refine((s) => Buffer.byteLength(s, 'utf8') >= 32, 'must be at least 32 bytes')
    .optional(),
  PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  JWT_ISSUER: z.url({ error: 'must be an absolute URL' }).optional(),
  JWT_AUDIENCE: z.string().min(1).default('four-oh-one'),
  JWT_CLOCK_TOLERANCE_SECONDS: integer(0, 300).default(30),
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' })
    .optional(),
  WEB_CONCURRENCY: integer(1, 64).default(1),
  TRUST_PROXY: z
    .string()
    .regex(
      /^(true|false|\d{1,2}|loopback|linklocal|uniquelocal|[0-9a-fA-F.:/, ]+)$/,
      'must be true, false, a hop count, or a list of addresses/subnets',
    )
    .default('false'),
  SHUTDOWN_DRAIN_SECONDS: integer(0, 300).default(2),
  STORE_MAX_ENTRIES: integer(100, 10_000_000).default(200_000),
  STORE_MAX_BYTES: integer(1_000_000, 16_000_000_000).default(128 * 1024 * 1024),
  VISITOR_MAX_ENTRIES: integer(10, 10_000_000).default(2000),
  VISITOR_MAX_BYTES: integer(10_000, 16_000_000_000).default(1024 * 1024),
  ACCESS_TOKEN_TTL_SECONDS: integer(1, 86_400).default(900),
  ACCESS_TOKEN_MAX_TTL_SECONDS: integer(1, 86_400).default(3600),
  REFRESH_TOKEN_TTL_SECONDS: integer(60, 30 * 86_400).default(86_400),
  REFRESH_TOKEN_IDLE_SECONDS: integer(60, 30 * 86_400).optional(),
  REFRESH_REUSE_GRACE_SECONDS: integer(0, 300).default(30),
  STEP_UP_MAX_AGE_SECONDS: integer(1, 86_400).default(300),
  JWT_PRIVATE_KEY: z
    .string()
    .transform((pem) => pem.replace(/\\n/g, '\n'))
    .refine(isSupportedPrivateKey, 'must be a PEM private key: EC P-256 (ES256) or RSA (RS256)')
    .optional(),
  JWT_PREVIOUS_SECRET: z
    .string()
    .refine((s) => Buffer.byteLength(s, 'utf8') >= 32, 'must be at least 32 bytes')
    .optional(),
  JWT_PREVIOUS_SECRET_VALID_UNTIL: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-12-01T00:00:00Z' })
    .transform((s) => Date.parse(s))
    .optional(),
  SESSION_SECRET: z
    .string()
    .refine((s) => Buffer.byteLength(s, 'utf8') >= 32, 'must be at least 32 bytes')
    .optional(),
  SESSION_IDLE_SECONDS: integer(1, 7 * 86_400).default(900),
  SESSION_ABSOLUTE_SECONDS: integer(1, 30 * 86_400).default(28_800),
  COOKIE_SECURE: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .transform((v) => v === 'true')
    .default(false),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: integer(1, 10_000).default(5),
  LOGIN_MAX_FAILURES_PER_ADDRESS: integer(1, 100_000).default(20),
  LOGIN_WINDOW_SECONDS: integer(1, 86_400).default(900),
  CREDENTIAL_MAX_FAILURES_PER_ACCOUNT: integer(1, 10_000).default(20),
  CREDENTIAL_MAX_FAILURES_PER_ADDRESS: integer(1, 100_000).default(100),
  CREDENTIAL_WINDOW_SECONDS: integer(1, 86_400).default(60),
  DIGEST_MAX_REQUESTS_PER_MINUTE: integer(1, 1_000_000).default(120),
  EXPLAIN_PER_ADDRESS_PER_MINUTE: integer(0, 100_000).default(120),
  RUNS_PER_ADDRESS: integer(1, 10_000).default(5),
  CORS_ORIGINS: z
    .string()
    .transform((list, ctx) => {
      const origins = list
        .split(',')
        .map((o) => o.trim())
        .filter((o) => o !== '');
      for (const origin of origins) {
        const problem = originProblem(origin);
        if (problem !== undefined) {
          ctx.addIssue({ code: 'custom', message: problem });
          return z.NEVER;
        }
      }
      return [...new Set(origins)];
    })
    .optional(),
  CORS_DEMO_PORT: integer(0, 65535).default(3001),
  DEMO_API_KEY: credential.default(DEFAULT_DEMO.apiKey),
  DEMO_API_SECRET: credential.default(DEFAULT_DEMO.apiSecret),
  DEMO_USERNAME: credential.default(DEFAULT_DEMO.username),
  DEMO_PASSWORD: credential.default(DEFAULT_DEMO.password),
  DEMO_ADMIN_USERNAME: credential.default(DEFAULT_DEMO.adminUsername),
  DEMO_ADMIN_PASSWORD: credential.default(DEFAULT_DEMO.adminPassword),
  DEMO_OPENAI_KEY: credential.default(DEFAULT_DEMO.openaiKey),
});

/** The variables `loadConfig` reads, for the README and for error messages. */
export const CONFIG_VARIABLES = Object.keys(schema.shape);

/** The schema itself: test/config.test.ts holds the README's table to its defaults and ranges. */
export const CONFIG_SCHEMA = schema;

export interface LoadConfigOptions {
  /** Source of randomness for the generated secret; injected by tests. */
  randomBytes?: (size: number) => Buffer;
}

/**
 * For the entry points (src/server.ts, src/cors-demo.ts): the configuration, or one line
 * naming the bad variable and exit code 2.
 */
export function loadConfigOrExit(env: NodeJS.ProcessEnv, options: LoadConfigOptions = {}): Config {
  try {
    return loadConfig(env, options);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`four-oh-one: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/**
 * Turns an environment into a `Config`, or throws a `ConfigError` whose message names the first
 * bad variable. Pure but for the random secret made when JWT_SECRET is unset.
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  options: LoadConfigOptions = {},
): Config {
  // An empty variable means "unset", as in most shells' `FOO= npm start`.
  const present = Object.fromEntries(
    CONFIG_VARIABLES.filter((k) => env[k] !== undefined && env[k] !== '').map((k) => [k, env[k]]),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(`${variable}: ${issue?.message ?? 'invalid value'}`);
  }
  const e = parsed.data;
  const warnings: string[] = [];
  if (e.ACCESS_TOKEN_TTL_SECONDS > e.ACCESS_TOKEN_MAX_TTL_SECONDS) {
    throw new ConfigError('ACCESS_TOKEN_TTL_SECONDS: must not exceed ACCESS_TOKEN_MAX_TTL_SECONDS');
  }
  if (e.SESSION_IDLE_SECONDS > e.SESSION_ABSOLUTE_SECONDS) {
    throw new ConfigError('SESSION_IDLE_SECONDS: must not exceed SESSION_ABSOLUTE_SECONDS');
  }
  if (e.CORS_DEMO_PORT !== 0 && e.CORS_DEMO_PORT === e.PORT) {
    throw new ConfigError(
      'CORS_DEMO_PORT: must differ from PORT (the demo page is a second origin); set another port, or 0 for none',
    );
  }
  if ((e.JWT_PREVIOUS_SECRET === undefined) !== (e.JWT_PREVIOUS_SECRET_VALID_UNTIL === undefined)) {
    throw new ConfigError(
      'JWT_PREVIOUS_SECRET_VALID_UNTIL: set it together with JWT_PREVIOUS_SECRET (the end of the grace period)',
    );
  }
  if (e.WEB_CONCURRENCY > 1 && e.REDIS_URL === undefined) {
    throw new ConfigError(
      'WEB_CONCURRENCY: more than 1 worker needs REDIS_URL (the embedded store lives in one process; its sessions, revocations and limits would differ from worker to worker)',
    );
  }
  const secretGenerated = e.JWT_SECRET === undefined;
  const jwtSecret = secretGenerated
    ? (options.randomBytes ?? randomBytes)(32)
    : Buffer.from(e.JWT_SECRET as string, 'utf8');
  if (secretGenerated) {
    warnings.push(
      'JWT_SECRET is unset: signing with a random secret, so tokens die with this process and other instances reject them.',
    );
  }
  const publicUrl = e.PUBLIC_URL ?? `http://127.0.0.1:${e.PORT}`;
  if (e.REDIS_URL !== undefined && e.PUBLIC_URL === undefined && e.JWT_ISSUER === undefined) {
    // Each instance would name itself (its own port) as the issuer and refuse its peers' tokens.
    warnings.push(
      `REDIS_URL is set but PUBLIC_URL and JWT_ISSUER are not: the token issuer is ${publicUrl}, derived from this instance's port, so instances sharing this Redis reject each other's tokens (token_issuer_invalid). Give every instance the same PUBLIC_URL (or JWT_ISSUER) and JWT_SECRET.`,
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    logLevel: e.LOG_LEVEL,
    jwt: {
      secret: jwtSecret,
      secretGenerated,
      issuer: e.JWT_ISSUER ?? publicUrl,
      audience: e.JWT_AUDIENCE,
      clockToleranceSeconds: e.JWT_CLOCK_TOLERANCE_SECONDS,
    },
    tokens: {
      accessTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
      accessMaxTtlSeconds: e.ACCESS_TOKEN_MAX_TTL_SECONDS,
      refreshTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
      // Unset, or longer than the family may live: the family's absolute lifetime (no idle end).
      refreshIdleSeconds: Math.min(
        e.REFRESH_TOKEN_IDLE_SECONDS ?? e.REFRESH_TOKEN_TTL_SECONDS,
        e.REFRESH_TOKEN_TTL_SECONDS,
      ),
      refreshReuseGraceSeconds: e.REFRESH_REUSE_GRACE_SECONDS,
      stepUpMaxAgeSeconds: e.STEP_UP_MAX_AGE_SECONDS,
    },
    keys: {
      privateKeyPem: e.JWT_PRIVATE_KEY,
      previousSecret:
        e.JWT_PREVIOUS_SECRET === undefined
          ? undefined
          : Buffer.from(e.JWT_PREVIOUS_SECRET, 'utf8'),
      previousSecretValidUntil: e.JWT_PREVIOUS_SECRET_VALID_UNTIL,
    },
    demo: {
      apiKey: e.DEMO_API_KEY,
      apiSecret: e.DEMO_API_SECRET,
      username: e.DEMO_USERNAME,
      password: e.DEMO_PASSWORD,
      adminUsername: e.DEMO_ADMIN_USERNAME,
      adminPassword: e.DEMO_ADMIN_PASSWORD,
      openaiKey: e.DEMO_OPENAI_KEY,
    },
    session: {
      // A separate key for cookies, derived so that one secret configures a whole deployment.
      secret:
        e.SESSION_SECRET === undefined
          ? createHmac('sha256', jwtSecret).update('four-oh-one session cookies').digest()
          : Buffer.from(e.SESSION_SECRET, 'utf8'),
      idleSeconds: e.SESSION_IDLE_SECONDS,
      absoluteSeconds: e.SESSION_ABSOLUTE_SECONDS,
      cookieSecure: e.COOKIE_SECURE,
    },
    loginLimits: {
      perAccount: e.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      perAddress: e.LOGIN_MAX_FAILURES_PER_ADDRESS,
      windowSeconds: e.LOGIN_WINDOW_SECONDS,
    },
    credentialLimits: {
      perAccount: e.CREDENTIAL_MAX_FAILURES_PER_ACCOUNT,
      perAddress: e.CREDENTIAL_MAX_FAILURES_PER_ADDRESS,
      windowSeconds: e.CREDENTIAL_WINDOW_SECONDS,
    },
    digestRequestsPerMinute: e.DIGEST_MAX_REQUESTS_PER_MINUTE,
    redisUrl: e.REDIS_URL,
    webConcurrency: e.WEB_CONCURRENCY,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    shutdown: { drainSeconds: e.SHUTDOWN_DRAIN_SECONDS },
    store: {
      maxEntries: e.STORE_MAX_ENTRIES,
      maxBytes: e.STORE_MAX_BYTES,
      visitorMaxEntries: e.VISITOR_MAX_ENTRIES,
      visitorMaxBytes: e.VISITOR_MAX_BYTES,
    },
    explainPerAddressPerMinute: e.EXPLAIN_PER_ADDRESS_PER_MINUTE,
    runsPerAddress: e.RUNS_PER_ADDRESS,
    cors: {
      origins: e.CORS_ORIGINS ?? defaultCorsOrigins(e.CORS_DEMO_PORT),
      demoPort: e.CORS_DEMO_PORT,
    },
    warnings,
  };
}

/**
 * The allowlist when CORS_ORIGINS is unset: the demo page's origin under both names of the
 * loopback host (a learner may type either), and Vite's dev server, the usual front-end origin.
 */
export function defaultCorsOrigins(demoPort: number): string[] {
  const demo =
    demoPort === 0 ? [] : [`http://127.0.0.1:${demoPort}`, `http://localhost:${demoPort}`];
  return [...demo, 'http://localhost:5173', 'http://127.0.0.1:5173'];
}

/**
 * Why a CORS_ORIGINS entry is not an exact origin as browsers send it in `Origin`, or undefined
 * when it is one. The allowlist is compared by exact string equality, so `HTTP://App.test:80/`
 * would silently never match; it is refused here, with the spelling that would match.
 */
export function originProblem(value: string): string | undefined {
  const shape = 'must list exact origins, scheme://host[:port], comma-separated';
  if (value === '*' || value.includes('*')) return `${shape}; "*" is not allowed`;
  if (value === 'null')
    return `${shape}; "null" is never allowed (sandboxed frames, file:// pages)`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${shape}; "${value}" is not one`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `${shape}; "${value}" is not http or https`;
  }
  if (url.origin !== value) {
    return `${shape}; "${value}" is not one (browsers send "${url.origin}")`;
  }
  return undefined;
}

function isSupportedPrivateKey(pem: string): boolean {
  try {
    const key = createPrivateKey(pem);
    return (
      key.asymmetricKeyType === 'rsa' ||
      (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    );
  } catch {
    return false;
  }
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}
