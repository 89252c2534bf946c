/**
 * Paths that carry a credential, httpbin-style: the password of `/basic-auth/:user/:passwd` is
 * in the URL itself. The request line is the client's own, so its answer may repeat it (the
 * problem `instance`), but nothing another reader sees — the log line, the explanation at
 * `/explain/:id` — may keep the secret segment.
 *
 * Each pattern is a route of routes/classic.ts with its secret parameters marked `*`. Express
 * matches routes case-insensitively and these match any longer path too (a 404 under the same
 * prefix still carried the secret), so the expression does both.
 */
const SECRET_PATHS: readonly string[] = [
  '/basic-auth/:user/*passwd',
  '/hidden-basic-auth/:user/*passwd',
  '/digest-auth/:qop/:user/*passwd',
  '/api-key/*key',
];

export const REDACTED = '[redacted]';

/** One segment of a path as it arrived (still %-encoded): anything up to the next slash. */
const SEGMENT = '[^/?#\\s]*';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');

/**
 * All the templates as one expression, built once: each run of kept text is a capture group and
 * each secret segment is matched but not captured, so a match is rebuilt from its groups with
 * "[redacted]" between them. Not anchored, so a path inside running text ("No route serves GET
 * /api-key/…") is found too; every part stops at "/" or whitespace, so matching is linear.
 */
function compile(templates: readonly string[]): RegExp {
  const alternatives = templates.map((template) => {
    let source = '';
    let kept = '';
    for (const part of template.split('/').slice(1)) {
      if (part.startsWith('*')) {
        source += `(${kept}/)${SEGMENT}`;
        kept = '';
      } else {
        kept += `/${part.startsWith(':') ? SEGMENT : escape(part)}`;
      }
    }
    return source;
  });
  return new RegExp(alternatives.map((a) => `(?:${a})`).join('|'), 'gi');
}

const SECRET_PATH = compile(SECRET_PATHS);

/**
 * A credential in a query: an access token (RFC 6750 §2.3) or an API key (`api_key`, `apikey`,
 * `api-key`), refused by every resource here and a credential all the same, so its value is
 * never logged (RFC 6750 §5.3: URLs end up in logs). Each parameter's name is judged as decoded,
 * whatever its case or percent-encoding; the expression stops at "&", "#" and whitespace, so
 * matching is linear.
 */
const QUERY_PARAM = /([?&])([^=&#\s]*)=([^&#\s]*)/g;
const CREDENTIAL_PARAMS: ReadonlySet<string> = new Set([
  'access_token',
  'api_key',
  'apikey',
  'api-key',
]);

function decodedName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/**
 * The userinfo of an absolute URI (`http://user:password@host/`), which a request sent to a
 * forward proxy may carry in its request-target (middleware/forward-proxy.ts). Linear: the
 * class stops at the first "/", "?", "#", "@" or whitespace.
 */
const USERINFO = /(\b[A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#@\s]*@/g;

/**
 * Replaces the secret segment of every credential-carrying path in `text`, the value of every
 * credential query parameter and the userinfo of an absolute URI, with "[redacted]".
 */
export function redactPath(text: string): string {
  return text
    .replace(USERINFO, `$1${REDACTED}@`)
    .replace(SECRET_PATH, (...args: unknown[]) => {
      // The capture groups of whichever alternative matched; the others are undefined.
      const groups = args.slice(1, -2).filter((g): g is string => typeof g === 'string');
      return groups.map((g) => `${g}${REDACTED}`).join('');
    })
    .replace(QUERY_PARAM, (whole, lead: string, name: string) =>
      CREDENTIAL_PARAMS.has(decodedName(name)) ? `${lead}${name}=${REDACTED}` : whole,
    );
}
