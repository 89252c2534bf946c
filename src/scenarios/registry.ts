/**
 * The registry of a configuration: the registry is written with `{{…}}` placeholders where a value
 * depends on the configuration (the public URL, the allowed CORS origin, the cookie name, the
 * step-up max age), and filled here once per configuration.
 */
import type { Scenario } from './types';

/** What the registry's triggers and expectations depend on in the configuration. */
export interface RegistrySettings {
  /** PUBLIC_URL: where challenges point (resource_metadata) and snippets send requests. */
  publicUrl: string;
  /** CORS_ORIGINS (by default the demo page's two origins and Vite's): the first is the caller. */
  origins: readonly string[];
  /** The session cookie's name: `__Host-four-oh-one.sid` with COOKIE_SECURE=true. */
  cookieName: string;
  /** STEP_UP_MAX_AGE_SECONDS, the step-up challenge's max_age. */
  stepUpMaxAgeSeconds: number;
  /** The token issuer (JWT_ISSUER; PUBLIC_URL when absent): the `iss` of authorization responses. */
  issuer?: string;
  /** JWT_CLOCK_TOLERANCE_SECONDS: the leeway the clock-skew cards show the edges of (30 unless told). */
  clockToleranceSeconds?: number;
}

/** The session cookie's name (the `__Host-` prefix needs Secure, so only with COOKIE_SECURE). */
export function sessionCookieName(cookieSecure: boolean): string {
  return cookieSecure ? '__Host-four-oh-one.sid' : 'four-oh-one.sid';
}

/** The registry settings of a configuration: the one place they are read from it. */
export function registrySettings(config: {
  publicUrl: string;
  cors: { origins: readonly string[] };
  session: { cookieSecure: boolean };
  tokens: { stepUpMaxAgeSeconds: number };
  jwt: { issuer: string; clockToleranceSeconds: number };
}): RegistrySettings {
  return {
    publicUrl: config.publicUrl,
    origins: config.cors.origins,
    cookieName: sessionCookieName(config.session.cookieSecure),
    stepUpMaxAgeSeconds: config.tokens.stepUpMaxAgeSeconds,
    issuer: config.jwt.issuer,
    clockToleranceSeconds: config.jwt.clockToleranceSeconds,
  };
}

/** JWT_CLOCK_TOLERANCE_SECONDS's default (src/config.ts). */
const DEFAULT_CLOCK_TOLERANCE = 30;

/** The settings of `npm start` with no environment (src/config.ts defaults). */
export const DEFAULT_REGISTRY_SETTINGS: RegistrySettings = {
  publicUrl: 'http://127.0.0.1:3000',
  origins: [
    'http://127.0.0.1:3001',
    'http://localhost:3001',
    'http://localhost:5173',
    'http://127.0.0.1:5173',
  ],
  cookieName: 'four-oh-one.sid',
  stepUpMaxAgeSeconds: 300,
  issuer: 'http://127.0.0.1:3000',
  clockToleranceSeconds: DEFAULT_CLOCK_TOLERANCE,
};

/** What stands for the allowed origin when the allowlist is empty (those cards are not fired). */
const NO_ALLOWED_ORIGIN = 'https://an-origin-on-cors-origins.example';

/** The values of the registry's placeholders under some settings. */
function placeholders(settings: RegistrySettings): Record<string, string> {
  const tolerance = settings.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE;
  const allowed = settings.origins[0];
  const url = new URL(allowed ?? NO_ALLOWED_ORIGIN);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  // The same scheme and host on a port the allowlist does not hold.
  let other = port;
  let otherOrigin: string;
  do {
    other = other >= 65535 ? 1024 : other + 1;
    otherOrigin = `${url.protocol}//${url.hostname}:${other}`;
  } while (settings.origins.includes(otherOrigin));
  return {
    public_url: settings.publicUrl,
    allowed_origin: url.origin,
    other_port_origin: otherOrigin,
    // A host anyone can register, whose name starts with the allowed one's.
    lookalike_origin: `${url.protocol}//${url.hostname}.evil.example${url.port ? `:${url.port}` : ''}`,
    cookie_name: settings.cookieName,
    step_up_max_age: String(settings.stepUpMaxAgeSeconds),
    // The issuer as a redirect's query carries it (RFC 9207 `iss`, form-encoded).
    issuer_in_query: new URLSearchParams({ iss: settings.issuer ?? settings.publicUrl })
      .toString()
      .slice('iss='.length),
    clock_tolerance: String(tolerance),
    clock_tolerance_inside: String(Math.max(0, tolerance - 1)),
  };
}

/** Fills the placeholders in every string of a value (`{{token:…}}` is left for the specimens). */
function fill<T>(value: T, values: Record<string, string>): T {
  if (typeof value === 'string') {
    return value.replace(/\{\{([a-z_]+)\}\}/g, (whole, name: string) => values[name] ?? whole) as T;
  }
  if (Array.isArray(value)) return value.map((v: unknown) => fill(v, values)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === 'rfc' ? v : fill(v, values)]),
    ) as T;
  }
  return value;
}

/** The registry under some settings (see `registryFor` in ./index.ts). */
export type RegistryFor = (settings: RegistrySettings) => Scenario[];

/**
 * `registryFor` over the registry as written (`templates`, with its `{{…}}` placeholders): each
 * configuration's registry is filled once and kept.
 */
export function registryOf(templates: readonly Scenario[]): RegistryFor {
  const registries = new Map<string, Scenario[]>();
  return (settings) => {
    const key = JSON.stringify(settings);
    const known = registries.get(key);
    if (known) return known;
    const values = placeholders(settings);
    const noOrigin = settings.origins.length === 0;
    const built = templates.map((template) => {
      const s = fill(template, values);
      if (noOrigin && JSON.stringify(template).includes('{{allowed_origin}}')) {
        s.trigger = {
          ...s.trigger,
          fired: false,
          setup:
            'No origin is on CORS_ORIGINS in this configuration, so no call can come from an allowed origin. Add one (e.g. http://127.0.0.1:3001) to see this answer.',
        };
      }
      // A leeway under two seconds has no inside: a token a second past exp is refused.
      const tolerance = settings.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE;
      if (tolerance < 2 && JSON.stringify(template).includes('_within_tolerance}}')) {
        s.trigger = {
          ...s.trigger,
          fired: false,
          setup: `JWT_CLOCK_TOLERANCE_SECONDS is ${tolerance} in this configuration, so no token can be a second past an edge and still inside the leeway. Start the server with the default (30) to see this answer.`,
        };
      }
      return s;
    });
    registries.set(key, built);
    return built;
  };
}

/** Fills `{{public_url}}` in an expected header value. */
export function expandPublicUrl(value: string, publicUrl: string): string {
  return value.replaceAll('{{public_url}}', publicUrl);
}
