/**
 * The data the CORS demo page embeds (`<script id="demo-data" type="application/json">`) for its
 * script: src/cors-demo.ts writes it, src/site/browser/cors-demo.ts reads it. Types only: they
 * hold the two sides to one shape, and the registry's browser views (BrowserView in the
 * registry) must fit them.
 */

/** One `fetch` call: the registry's view of it, with its `{{token:…}}` values filled in. */
export interface DemoCall {
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** A form body, sent as application/x-www-form-urlencoded. */
  body?: Record<string, string>;
  credentials: 'omit' | 'include';
}

/** What the registry says the script sees: nothing but a TypeError, or these parts of a response. */
export type DemoSees =
  | { outcome: 'network-error'; console: string }
  | {
      outcome: 'response';
      status: number;
      code?: string;
      readable: string[];
      unreadable: string[];
    };

export interface DemoView {
  fetch: DemoCall;
  /** Run from the sandboxed frame, whose opaque origin sends `Origin: null`. */
  fromSandboxedFrame?: boolean;
  sees: DemoSees;
  /** The answer says `Access-Control-Allow-Origin: *`: readable without credentials anywhere. */
  anyOrigin: boolean;
}

/** A step of the cookie login, which depends on the ones before it. */
export interface DemoStep {
  label: string;
  fetch: DemoCall;
}

export interface DemoData {
  /** Where the API is, e.g. http://127.0.0.1:3000. */
  apiBase: string;
  /** The API's CORS allowlist, so that the page can tell whether its own origin is on it. */
  origins: readonly string[];
  /** By view id, `<scenario id>/<index>`. */
  views: Record<string, DemoView>;
  steps: Record<string, DemoStep>;
}
