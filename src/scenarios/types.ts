/** The shape of a registry entry: a scenario, its trigger, and the answer it must get. */
import type { ProblemCode } from './catalog';
import type { RfcRef } from './refs';

export type Family =
  | 'bearer'
  | 'tokens'
  | 'oauth'
  | 'dpop'
  | 'session'
  | 'admin'
  | 'cors'
  | 'classic'
  | 'oauth1'
  | 'openai'
  | 'echo'
  | 'ntlm'
  | 'runs'
  | 'scram'
  | 'gnap'
  | 'hoba'
  | 'mutual'
  | 'concealed'
  | 'platform'
  | 'vapid'
  | 'privatetoken';

/** A family's heading in /scenarios, the playground and the OpenAPI tags. */
export interface FamilyInfo {
  title: string;
  summary: string;
}

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/**
 * A request that produces the scenario. Header values may hold `{{token:NAME}}`, replaced by the
 * specimen token NAME (src/tokens/specimens.ts) minted with this server's keys when the trigger is served.
 */
export interface Trigger {
  method: HttpMethod;
  path: string;
  /**
   * Header fields. A list is one field sent once per value (RFC 9110 §5.3), which only raw
   * clients can do: browsers' fetch and Python requests join or replace a repeated header.
   */
  headers?: Record<string, string | string[]>;
  /**
   * A request body: an object sent as JSON (`contentType: 'json'`, the default) or as
   * application/x-www-form-urlencoded (`'form'`). String values may hold `{{token:NAME}}` too.
   */
  body?: Record<string, string | number | boolean | unknown[] | Record<string, unknown>>;
  contentType?: 'json' | 'form';
  /**
   * `false` for a card whose answer needs a state no stateless replay can make (a store outage, a
   * spent quota, a draining instance) or that this configuration lacks: it is documented but not
   * fired by the table test, and `setup` says how to produce it. Absent: fired, every time.
   */
  fired?: false;
  /** With `fired: false`: why it is not fired, and how to see the answer yourself. */
  setup?: string;
}

export interface Expectation {
  status: number;
  /** The problem code; absent for a success. */
  code?: ProblemCode;
  /** The exact WWW-Authenticate value, or null when there must be none. */
  challenge: string | null;
  /**
   * For a challenge that carries a fresh value (a Digest nonce): a regular expression the whole
   * WWW-Authenticate value must match. `challenge` then shows its shape, with … for the fresh parts.
   */
  challengePattern?: string;
  /** Other response headers that must have exactly these values. */
  headers?: Record<string, string>;
  /**
   * The error body's format: problem+json unless `'openai'`, the envelope every error on `/v1/*`
   * uses; there `code` is still our problem code, mapped to OpenAI's in the body.
   */
  envelope?: 'openai';
  /** Response headers that must not be sent at all (e.g. Access-Control-Allow-Origin). */
  absentHeaders?: string[];
}

/**
 * What a script on a web page of another origin sees when it makes a call with `fetch`. The
 * CORS demo page offers each view as a button, and the browser tests run each in Chromium.
 */
export interface BrowserView {
  /** The script's call; the browser adds Origin, and a preflight when the call needs one. */
  fetch: {
    method: HttpMethod;
    path: string;
    /** Values may hold `{{token:NAME}}`, as in triggers. */
    headers?: Record<string, string>;
    /** A form body (application/x-www-form-urlencoded, which needs no preflight). */
    body?: Record<string, string>;
    /** `'include'` sends cookies, and needs Access-Control-Allow-Credentials: true back. */
    credentials: 'omit' | 'include';
  };
  /** Run from a sandboxed frame of the page, whose origin is opaque: it sends `Origin: null`. */
  fromSandboxedFrame?: boolean;
  sees: BrowserSees;
}

export type BrowserSees =
  | {
      /** `fetch` rejects with a TypeError: no status, no header, no body reach the script. */
      outcome: 'network-error';
      /** What Chromium's DevTools console says instead (a part of its message). */
      console: string;
    }
  | {
      outcome: 'response';
      status: number;
      /** The problem `code` in the body, which the script can read. */
      code?: ProblemCode;
      /** Headers `response.headers.get()` returns. */
      readable: string[];
      /** Headers that were sent but `response.headers.get()` returns null for. */
      unreadable: string[];
    };

export interface Scenario {
  /** Stable kebab-case id. */
  id: string;
  family: Family;
  title: string;
  trigger: Trigger;
  expect: Expectation;
  /** Why the server answers so; for a problem, in addition to the problem's own explanation. */
  explanation: string;
  /** Where an article says otherwise, what it says and why this server differs. */
  articleNote?: string;
  rfc: RfcRef[];
  /** What a page script on another origin sees when it makes this call (CORS scenarios). */
  browser?: BrowserView[];
}
