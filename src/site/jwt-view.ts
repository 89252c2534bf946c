import type { Trigger } from '../scenarios/types';
import type { DecisionTrace } from '../teaching/trace';
import { fillTemplate, type Specimens } from '../tokens/specimens';
import { html, type Html } from './html';
import {
  claimNote,
  culpritOf,
  decodeJwt,
  isNumericDate,
  isoOf,
  isTimeClaim,
  relativeTime,
  type Culprit,
  type JwtReading,
} from './shared/jwt';

/**
 * A decoded JWT as the pages show it, as jwt.io does: the token with its three parts coloured,
 * then the header, the payload and the signature, each labelled (so they differ without
 * colour), each member with what it means, times in words, and the member a refusal was about
 * marked. Rendered on the server for the playground's cards (routes/playground.ts) and
 * /explain (routes/explain.ts); src/site/browser/local-times.ts then shows the times in the
 * reader's zone. Display only: nothing here verifies, stores or sends a token.
 */

export interface JwtViewOptions {
  /** Where the token was: "Authorization: Bearer", "refresh_token in the body". */
  where?: string;
  /** The member the refusal was about, marked and labelled. */
  culprit?: Culprit | undefined;
  /** Seconds since 1970: the clock relative times count from (the page's render). */
  now: number;
  /** What to say of the signature instead of showing it (an explanation keeps none). */
  signatureNote?: string;
  /** Shows the coloured token itself (not on /explain, which has none). */
  showToken?: boolean;
}

/** The longest member value and token part shown; the snippets carry the whole token. */
const MAX_SHOWN = 160;

const cut = (text: string) =>
  text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}… (${text.length} characters)` : text;

function shownValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return cut(text);
}

/**
 * Whether a member is the one the refusal was about. A time is only when it says so at `now`
 * (an exp that is past): a scripted token_expired of /api/v1/flaky refuses a token whose exp is
 * an hour away, and marking it would teach the wrong thing.
 */
function isCulprit(part: 'header' | 'payload', name: string, value: unknown, o: JwtViewOptions) {
  const c = o.culprit;
  if (c === undefined || c.part !== part || c.claim !== name) return false;
  if (part !== 'payload' || !isTimeClaim(name)) return true;
  if (!isNumericDate(value)) return true;
  return name === 'exp' ? value <= o.now : name === 'nbf' || name === 'iat' ? value > o.now : true;
}

const REFUSED = html`<strong class="culprit-tag">refused for this</strong>`;

function member(part: 'header' | 'payload', name: string, value: unknown, o: JwtViewOptions) {
  const marked = isCulprit(part, name, value, o);
  const note = claimNote(part, name);
  const time =
    part === 'payload' && isTimeClaim(name) && isNumericDate(value)
      ? html`<span class="when"
          ><time datetime="${isoOf(value)}" data-claim="${name}" data-seconds="${value}"
            >${isoOf(value).replace('T', ' ').replace('Z', ' UTC')}</time
          >
          · <span class="rel">${relativeTime(name, value, o.now)}</span></span
        >`
      : '';
  return html`<div class="claim${marked ? ' culprit' : ''}" data-claim="${name}">
    <dt><code>${name}</code> ${marked ? REFUSED : ''}</dt>
    <dd>
      <code class="claim-value">${shownValue(value)}</code> ${time}
      ${note ? html`<span class="claim-note">${note}</span>` : ''}
    </dd>
  </div>`;
}

function members(part: 'header' | 'payload', values: Record<string, unknown>, o: JwtViewOptions) {
  const names = Object.keys(values);
  if (names.length === 0) return html`<p class="muted">(no members)</p>`;
  return html`<dl class="claims">${names.map((name) => member(part, name, values[name], o))}</dl>`;
}

/** One decoded token, or why it is none ("not a JWT: …"), never an error. */
export function jwtView(reading: JwtReading, o: JwtViewOptions): Html {
  const where = o.where ? html` <span class="muted">(${o.where})</span>` : '';
  if (!reading.ok) {
    return html`<div class="jwt not-jwt">
      <p class="jwt-title">Decoded token${where}</p>
      <p>
        <strong>${reading.reason}</strong>: there is nothing to decode, which is why a server
        answers such a token <code>token_malformed</code>.
      </p>
    </div>`;
  }
  const [h, p, s] = reading.parts;
  const signatureMarked = o.culprit?.part === 'signature';
  return html`<div class="jwt${o.culprit?.part === 'token' ? ' culprit' : ''}">
    <p class="jwt-title">Decoded token${where}</p>
    ${
      o.showToken === false
        ? ''
        : html`<p class="jwt-token">
            <code
              ><span class="jwt-h" title="header">${cut(h)}</span>.<span
                class="jwt-p"
                title="payload"
                >${cut(p)}</span
              >.<span class="jwt-s" title="signature">${cut(s)}</span></code
            >
          </p>`
    }
    <div class="jwt-part jwt-header">
      <p class="jwt-label">Header <span class="muted">· how it was signed</span></p>
      ${members('header', reading.header, o)}
    </div>
    <div class="jwt-part jwt-payload">
      <p class="jwt-label">Payload <span class="muted">· the claims</span></p>
      ${members('payload', reading.payload, o)}
    </div>
    <div class="jwt-part jwt-signature${signatureMarked ? ' culprit' : ''}">
      <p class="jwt-label">Signature ${signatureMarked ? REFUSED : ''}</p>
      ${
        o.signatureNote
          ? html`<p class="muted">${o.signatureNote}</p>`
          : html`<p>
              <code class="claim-value">${s === '' ? '(empty: unsigned)' : cut(s)}</code>
              <span class="claim-note"
                >Not checked on this page: only the server, with its key, can tell whether it
                verifies.</span
              >
            </p>`
      }
    </div>
  </div>`;
}

/** Where a trigger carries a token, and the token (its specimens filled in). */
export function triggerTokens(
  trigger: Trigger,
  specimens: Specimens,
): { where: string; token: string }[] {
  const found: { where: string; token: string }[] = [];
  for (const [name, value] of Object.entries(trigger.headers ?? {})) {
    if (name.toLowerCase() !== 'authorization') continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      const bearer = /^bearer +(.*)$/is.exec(fillTemplate(v, specimens));
      if (bearer) found.push({ where: `${name}: Bearer`, token: bearer[1] ?? '' });
    }
  }
  for (const [name, value] of Object.entries(trigger.body ?? {})) {
    if (/token/i.test(name) && typeof value === 'string') {
      found.push({ where: `${name} in the body`, token: fillTemplate(value, specimens) });
    }
  }
  const query = new URLSearchParams(trigger.path.split('?')[1] ?? '').get('access_token');
  if (query !== null) found.push({ where: 'access_token in the query', token: query });
  return found;
}

/** The decoded tokens of a scenario's trigger, with the member its answer is about marked. */
export function triggerTokensView(
  trigger: Trigger,
  specimens: Specimens,
  code: string | undefined,
  now: number,
): Html {
  const culprit = culpritOf({ code });
  return html`${triggerTokens(trigger, specimens).map(({ where, token }) =>
    jwtView(decodeJwt(token), { where, culprit, now }),
  )}`;
}

/** The checks after which nothing of a token was read, or nothing of it could be. */
const UNREAD = new Set([
  'at most 8 KiB',
  'three base64url parts',
  'header and payload are JSON objects',
  'no member named twice',
]);
const HEADER_FACTS = ['alg', 'kid', 'typ'] as const;
const PAYLOAD_FACTS = ['iss', 'aud', 'scope', 'type'] as const;

/**
 * What a decision trace shows of the token it judged, as a reading: the header facts and the
 * times (an explanation never keeps the token, so no signature). Undefined for a trace of no
 * token, or one whose token was never read (the Authorization header itself was refused).
 */
export function tokenFromTrace(trace: DecisionTrace): JwtReading | undefined {
  const checks = [...trace.passed, ...(trace.failed ? [trace.failed] : []), ...trace.not_reached];
  if (!checks.includes('signature verifies')) return undefined;
  if (trace.failed !== undefined && UNREAD.has(trace.failed)) {
    return { ok: false, reason: `not a JWT this server reads: it failed “${trace.failed}”` };
  }
  const facts = trace.facts ?? {};
  const header: Record<string, unknown> = {};
  for (const name of HEADER_FACTS) {
    const value = facts[name];
    if (value !== undefined && value !== '(none)') header[name] = value;
  }
  const payload: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(trace.times ?? {})) {
    if (!isTimeClaim(name) || typeof value !== 'string') continue;
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) payload[name] = Math.floor(ms / 1000);
  }
  for (const name of PAYLOAD_FACTS) {
    if (facts[name] !== undefined) payload[name] = facts[name];
  }
  if (Object.keys(header).length === 0 && Object.keys(payload).length === 0) return undefined;
  return { ok: true, parts: ['', '', ''], header, payload, signature: '' };
}
