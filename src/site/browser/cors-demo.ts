/**
 * The CORS demo page's script, served as /demo.js by the demo's own server (src/cors-demo.ts);
 * test/e2e/cors-browser.test.ts runs every line of it in Chromium.
 *
 * The page and its sandboxed frame run the same script: in the frame (body[data-role=frame]) it
 * makes the calls it is sent by postMessage, from the frame's opaque origin (`Origin: null`).
 * A classic script with nothing to import at run time, so that the frame needs no CORS answer
 * for a module: its types come from the module the server writes the page's data with.
 */
(() => {
  type DemoCall = import('../shared/cors-demo-data.js').DemoCall;
  type DemoData = import('../shared/cors-demo-data.js').DemoData;
  type DemoSees = import('../shared/cors-demo-data.js').DemoSees;
  type DemoView = import('../shared/cors-demo-data.js').DemoView;

  /** What a script could see of one call. */
  type Observed =
    | {
        outcome: 'response';
        status: number;
        /** Every WATCHED header: its value, or null when hidden (or not sent). */
        headers: Record<string, string | null>;
        readableHeaderNames: string[];
        code: string | null;
        body: unknown;
      }
    | { outcome: 'network-error'; error: string };

  /** Between the page and its frame. */
  type Message =
    | { type: 'call'; id: number; apiBase: string; call: DemoCall }
    | { type: 'observed'; id: number; observed: Observed }
    | { type: 'frame-ready'; origin: string };

  // Headers the script tries to read on every answer; null means hidden (or not sent).
  const WATCHED = [
    'content-type',
    'cache-control',
    'www-authenticate',
    'x-request-id',
    'retry-after',
    'access-control-allow-origin',
    'set-cookie',
  ];

  function errorText(err: unknown): string {
    const e = err as { name?: unknown; message?: unknown } | null | undefined;
    return `${String(e && e.name)}: ${String(e && e.message)}`;
  }

  /** Makes one call with fetch and records what a script can see of it. */
  async function observe(apiBase: string, call: DemoCall): Promise<Observed> {
    const headers: Record<string, string> = { ...call.headers };
    const init: RequestInit = { method: call.method, credentials: call.credentials, headers };
    if (call.body) {
      init.body = new URLSearchParams(call.body).toString();
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    let res: Response;
    try {
      res = await fetch(apiBase + call.path, init);
    } catch (err) {
      return { outcome: 'network-error', error: errorText(err) };
    }
    const seen: Record<string, string | null> = {};
    for (const name of WATCHED) seen[name] = res.headers.get(name);
    const names: string[] = [];
    res.headers.forEach((_value, name) => names.push(name));
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    const code =
      body && typeof body === 'object' && 'code' in body && typeof body.code === 'string'
        ? body.code
        : null;
    return {
      outcome: 'response',
      status: res.status,
      headers: seen,
      readableHeaderNames: names.sort(),
      code,
      body,
    };
  }

  // --- In the sandboxed frame: run what the page sends, answer with what was seen ------------
  if (document.body.dataset.role === 'frame') {
    const parentOrigin = new URLSearchParams(location.search).get('parent') || '*';
    const tell = (message: Message) => window.parent.postMessage(message, parentOrigin);
    window.addEventListener('message', (event: MessageEvent<Message | null>) => {
      const message = event.data;
      if (event.source !== window.parent || !message || message.type !== 'call') return;
      void observe(message.apiBase, message.call).then((observed) =>
        tell({ type: 'observed', id: message.id, observed }),
      );
    });
    tell({ type: 'frame-ready', origin: String(self.origin) });
    return;
  }

  // --- On the page ------------------------------------------------------------------------
  function byId<T extends HTMLElement>(id: string): T {
    const node = document.getElementById(id);
    if (!node) throw new Error(`the page has no #${id}`);
    return node as T;
  }

  const data = JSON.parse(byId('demo-data').textContent ?? '') as DemoData;
  const apiBase = data.apiBase;
  const apiHost = new URL(apiBase).hostname;
  const pageOrigin = location.origin;
  const originAllowed = data.origins.includes(pageOrigin);
  // Cookies belong to a host, whatever the port; SameSite compares sites. For the loopback
  // names used here the site is the host name itself.
  const sameSite = apiHost === location.hostname;

  function text(selector: string, value: string): void {
    const node = document.querySelector(selector);
    if (node) node.textContent = value;
  }
  text('#page-origin', pageOrigin);
  const status = byId('origin-status');
  status.dataset.allowed = String(originAllowed);
  status.dataset.sameSite = String(sameSite);
  status.className = `callout ${originAllowed && sameSite ? 'good' : 'warn'}`;
  status.textContent =
    (originAllowed
      ? `This page\u2019s origin, ${pageOrigin}, is on the API\u2019s CORS_ORIGINS: the API answers it with Access-Control-Allow-Origin. `
      : `This page\u2019s origin, ${pageOrigin}, is NOT on the API\u2019s CORS_ORIGINS: every call below fails as a network error, except the wildcard one without credentials. That is what any other site sees. `) +
    (sameSite
      ? `It is the same site as the API (${apiHost}), so the session cookie works across the two ports.`
      : `It is NOT the same site as the API (${location.hostname} versus ${apiHost}): the browser drops the SameSite=Lax session cookie, so the cookie login below cannot work from here.`);

  // --- The sandboxed frame (origin "null") -------------------------------------------------
  const frame = byId<HTMLIFrameElement>('null-frame');
  let frameReady: () => void = () => undefined;
  const frameReadyPromise = new Promise<void>((resolve) => (frameReady = resolve));
  const pending = new Map<number, (observed: Observed) => void>();
  let nextId = 1;
  window.addEventListener('message', (event: MessageEvent<Message | null>) => {
    const message = event.data;
    if (event.source !== frame.contentWindow || !message) return;
    if (message.type === 'frame-ready') {
      text('#frame-origin', message.origin);
      frameReady();
    } else if (message.type === 'observed') {
      pending.get(message.id)?.(message.observed);
      pending.delete(message.id);
    }
  });
  async function observeInFrame(call: DemoCall): Promise<Observed> {
    await frameReadyPromise;
    return new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      const message: Message = { type: 'call', id, apiBase, call };
      // An opaque origin can only be addressed as '*'; nothing secret goes to it.
      frame.contentWindow?.postMessage(message, '*');
    });
  }

  // --- Expectations --------------------------------------------------------------------------
  /** What this page should see: the documented view, unless its own origin is refused. */
  function expectedFor(view: DemoView): DemoSees {
    if (view.fromSandboxedFrame || originAllowed) return view.sees;
    if (view.anyOrigin && view.fetch.credentials === 'omit') return view.sees;
    return { outcome: 'network-error', console: "No 'Access-Control-Allow-Origin' header" };
  }

  /** The differences between what was expected and what the script saw; empty when none. */
  function differences(expected: DemoSees, observed: Observed): string[] {
    if (expected.outcome !== observed.outcome) {
      return [`expected ${expected.outcome}, saw ${observed.outcome}`];
    }
    if (expected.outcome === 'network-error' || observed.outcome === 'network-error') return [];
    const out: string[] = [];
    const seen = (name: string) =>
      observed.headers[name] !== null && observed.headers[name] !== undefined;
    if (expected.status !== observed.status) {
      out.push(`status ${observed.status}, expected ${expected.status}`);
    }
    if (expected.code && expected.code !== observed.code) {
      out.push(`code ${observed.code}, expected ${expected.code}`);
    }
    for (const name of expected.readable) if (!seen(name)) out.push(`${name} is not readable`);
    for (const name of expected.unreadable) if (seen(name)) out.push(`${name} is readable`);
    return out;
  }

  function summary(observed: Observed): string {
    if (observed.outcome === 'network-error') {
      return `fetch rejected: ${observed.error}. No status, header or body reached the script.`;
    }
    const readable: string[] = [];
    const hidden: string[] = [];
    const shown = [
      'www-authenticate',
      'x-request-id',
      'retry-after',
      'content-type',
      'access-control-allow-origin',
      'set-cookie',
    ];
    for (const name of shown) (observed.headers[name] === null ? hidden : readable).push(name);
    const code = observed.code ? `, code ${observed.code}` : '';
    return `status ${observed.status}${code}. Readable: ${readable.join(', ') || 'none'}. null: ${hidden.join(', ') || 'none'}.`;
  }

  function part(box: HTMLElement, selector: string): HTMLElement {
    const node = box.querySelector<HTMLElement>(selector);
    if (!node) throw new Error(`no ${selector} in ${box.dataset.view ?? box.dataset.step}`);
    return node;
  }

  function show(box: HTMLElement, observed: Observed, expected: DemoSees | null): void {
    const diffs = expected ? differences(expected, observed) : [];
    box.dataset.state = 'done';
    box.dataset.observed = JSON.stringify(observed);
    const verdict = expected ? (diffs.length === 0 ? 'as-documented' : 'differs') : 'observed';
    box.dataset.verdict = verdict;
    const verdictText = part(box, '.verdict');
    verdictText.textContent = expected
      ? diffs.length === 0
        ? '\u2714 as documented'
        : `\u2718 differs: ${diffs.join('; ')}`
      : '';
    verdictText.className = `verdict ${verdict}`;
    part(box, '.seen').textContent = summary(observed);
    const shown =
      observed.outcome === 'response'
        ? { status: observed.status, headers: observed.headers, body: observed.body }
        : { error: observed.error };
    part(box, '.observed').textContent = JSON.stringify(shown, null, 2);
  }

  function viewOf(box: HTMLElement): DemoView {
    const view = data.views[box.dataset.view ?? ''];
    if (!view) throw new Error(`no view ${box.dataset.view} in the page's data`);
    return view;
  }

  async function runView(box: HTMLElement): Promise<void> {
    const view = viewOf(box);
    box.dataset.state = 'running';
    const observed = view.fromSandboxedFrame
      ? await observeInFrame(view.fetch)
      : await observe(apiBase, view.fetch);
    show(box, observed, expectedFor(view));
  }

  const views = [...document.querySelectorAll<HTMLElement>('[data-view]')];
  for (const box of views) {
    box.dataset.expect = JSON.stringify(expectedFor(viewOf(box)));
    part(box, 'button').addEventListener('click', () => void runView(box));
  }

  byId('run-all').addEventListener('click', () => {
    void (async () => {
      for (const box of views) await runView(box);
      document.body.dataset.ranAll = 'true';
    })();
  });

  // --- The cookie session across origins ---------------------------------------------------
  // The session's CSRF token, from the answer to the login (or /me): the heartbeat and the
  // logout send it back in X-CSRF-Token, as any browser client of a cookie session must.
  let csrfToken: string | null = null;
  const tokenIn = (observed: Observed): string | null => {
    if (observed.outcome !== 'response') return null;
    const body = observed.body as { csrf_token?: unknown } | null;
    return body && typeof body.csrf_token === 'string' ? body.csrf_token : null;
  };

  document.querySelectorAll<HTMLElement>('[data-step]').forEach((box) => {
    const step = data.steps[box.dataset.step ?? ''];
    if (!step) return;
    part(box, 'button').addEventListener('click', () => {
      const call = structuredClone(step.fetch);
      const idle = document.getElementById('idle-seconds') as HTMLInputElement | null;
      if (call.body && idle && idle.value) call.body.idle_seconds = idle.value;
      // A password the operator set is not in the page: the learner types it.
      const password = document.getElementById('login-password') as HTMLInputElement | null;
      if (call.body && password && call.body.password === undefined) {
        call.body.password = password.value;
      }
      if (csrfToken && call.method === 'POST' && call.credentials === 'include' && !call.body) {
        call.headers = { ...call.headers, 'X-CSRF-Token': csrfToken };
      }
      box.dataset.state = 'running';
      void observe(apiBase, call).then((observed) => {
        csrfToken = tokenIn(observed) ?? csrfToken;
        show(box, observed, null);
      });
    });
  });
})();
