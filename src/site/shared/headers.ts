/**
 * Which response headers a learner must see first: the challenge (`WWW-Authenticate`,
 * `Proxy-Authenticate`), when to try again (`Retry-After`, `RateLimit*`), the CORS answer
 * (`Access-Control-*`) and `Vary`. Everything else (helmet's security headers, the content
 * type, the request id) is folded under "other headers". The playground's Run results
 * (src/site/browser/playground.ts) and the server-rendered /explain page (routes/explain.ts)
 * both sort with this module, and the explanation recorder keeps what it calls important; both
 * tsconfigs compile it, so it uses neither Node's globals nor the browser's.
 */

/** Why a header matters, most important first; `other` is folded. */
export type HeaderKind = 'challenge' | 'retry' | 'cors' | 'vary' | 'other';

const ORDER: Record<HeaderKind, number> = { challenge: 0, retry: 1, cors: 2, vary: 3, other: 4 };

/** What each kind of header tells the learner, for a title or a legend. */
export const HEADER_KIND_NOTES: Record<Exclude<HeaderKind, 'other'>, string> = {
  challenge: 'the challenge: how to authenticate (RFC 9110 §11.6)',
  retry: 'when to try again (RFC 9110 §10.2.3, the RateLimit fields draft)',
  cors: 'the CORS answer: what a page of another origin may read',
  vary: 'which request headers chose this answer (caches)',
};

/** The kind of a response header, by its name (case-insensitive). */
export function headerKind(name: string): HeaderKind {
  const n = name.toLowerCase();
  if (n === 'www-authenticate' || n === 'proxy-authenticate') return 'challenge';
  if (n === 'retry-after' || /^(x-)?ratelimit(-|$)/.test(n)) return 'retry';
  if (n.startsWith('access-control-')) return 'cors';
  if (n === 'vary') return 'vary';
  return 'other';
}

/** One header line: its name as given, its value, and its kind. */
export interface SortedHeader {
  name: string;
  value: string;
  kind: HeaderKind;
}

/**
 * Headers split into those that matter (by kind, then by name, each kept in its own order when
 * a name repeats) and the others (by name). Never throws; keeps every header given.
 */
export function sortHeaders(headers: Iterable<readonly [string, string]>): {
  important: SortedHeader[];
  other: SortedHeader[];
} {
  const all: SortedHeader[] = [];
  for (const [name, value] of headers) all.push({ name, value, kind: headerKind(name) });
  const byName = (a: SortedHeader, b: SortedHeader) =>
    a.name.toLowerCase() < b.name.toLowerCase()
      ? -1
      : a.name.toLowerCase() > b.name.toLowerCase()
        ? 1
        : 0;
  const important = all
    .filter((h) => h.kind !== 'other')
    .sort((a, b) => ORDER[a.kind] - ORDER[b.kind] || byName(a, b));
  const other = all.filter((h) => h.kind === 'other').sort(byName);
  return { important, other };
}
