import { randomBytes } from 'node:crypto';
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
  redisUrl: string | undefined;
  /** Passed to Express's `trust proxy` setting as is. */
  trustProxy: boolean | number | string;
  store: {
    maxEntries: number;
  };
  /** Lines worth a warning at startup (e.g. a generated secret). */
  warnings: string[];
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
  TRUST_PROXY: z
    .string()
    .regex(
      /^(true|false|\d{1,2}|loopback|linklocal|uniquelocal|[0-9a-fA-F.:/, ]+)$/,
      'must be true, false, a hop count, or a list of addresses/subnets',
    )
    .default('false'),
  STORE_MAX_ENTRIES: integer(100, 10_000_000).default(200_000),
});

/** The variables `loadConfig` reads, for the README and for error messages. */
export const CONFIG_VARIABLES = Object.keys(schema.shape);

export interface LoadConfigOptions {
  /** Source of randomness for the generated secret; injected by tests. */
  randomBytes?: (size: number) => Buffer;
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
  const secretGenerated = e.JWT_SECRET === undefined;
  if (secretGenerated) {
    warnings.push(
      'JWT_SECRET is unset: signing with a random secret, so tokens die with this process and other instances reject them.',
    );
  }
  const publicUrl = e.PUBLIC_URL ?? `http://127.0.0.1:${e.PORT}`;
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    logLevel: e.LOG_LEVEL,
    jwt: {
      secret: secretGenerated
        ? (options.randomBytes ?? randomBytes)(32)
        : Buffer.from(e.JWT_SECRET as string, 'utf8'),
      secretGenerated,
      issuer: e.JWT_ISSUER ?? publicUrl,
      audience: e.JWT_AUDIENCE,
      clockToleranceSeconds: e.JWT_CLOCK_TOLERANCE_SECONDS,
    },
    redisUrl: e.REDIS_URL,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    store: { maxEntries: e.STORE_MAX_ENTRIES },
    warnings,
  };
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}
