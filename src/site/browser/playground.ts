/**
 * The playground's script, served as /playground.js (src/site/assets.ts) to the page that
 * routes/playground.ts renders; test/e2e/playground-browser.test.ts runs it in Chromium.
 *
 * It fetches GET /scenarios for the triggers with fresh specimen tokens (again when they are
 * older than five minutes), runs one with fetch on a click, and shows what came back. Cookies
 * are never sent (credentials: 'omit'): a scenario gets exactly the headers it documents, and
 * a login scenario leaves no session in this browser.
 *
 * A classic script (the page loads it with `<script defer>`), so it has no import statement: the
 * status colours and the order of the response headers come by import() from the modules the
 * server's pages use. From /playground.js, '../shared/status-class.js' is
 * /shared/status-class.js, where the server serves it.
 */
void (async () => {
  const { statusClass } = await import('../shared/status-class.js');
  const { sortHeaders, HEADER_KIND_NOTES } = await import('../shared/headers.js');
  type SortedHeader = import('../shared/headers.js').SortedHeader;
  // The decoded tokens' times, in this reader's zone and from now (src/site/jwt-view.ts).
  const { keepTimesLocal, localiseTimes } = await import('./local-times.js');
  keepTimesLocal(document);
  const jwt = await import('../shared/jwt.js');

  /** A scenario as GET /scenarios serves it: the parts this page reads. */
  interface ServedScenario {
    id: string;
    trigger: {
      method: string;
      path: string;
      /** A list is a field sent twice; such a trigger has no Run button. */
      headers?: Record<string, string | string[]>;
      body?: Record<string, unknown>;
      content_type?: 'json' | 'form';
      /** Its tokens sit a second from the clock leeway's edge: fetched again before each Run. */
      minted_each_second?: boolean;
    };
    expect: { status: number; code?: string; envelope?: 'openai' };
  }

  /** What one Run came back with: the response and its text, or why there was none. */
  type Outcome = { res: Response; text: string; ms: number } | { error: string };

  const FRESH_MS = 5 * 60 * 1000;
  const LANG_KEY = 'four-oh-one.snippet-lang';
  let triggers: Record<string, ServedScenario> | null = null;
  let loadedAt = 0;
  /** The snippet language the reader chose last (kept in localStorage), for cards opened later. */
  let snippetLang = 'curl';
  const count = byId('count');
  const filter = byId('filter') as HTMLInputElement;
  const empty = byId('empty');
  let statusFilter = 'all';

  function byId(id: string): HTMLElement {
    const node = document.getElementById(id);
    if (!node) throw new Error(`the page has no #${id}`);
    return node;
  }

  function el(tag: string, className?: string, text?: string): HTMLElement {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // --- The triggers, with tokens this server minted ---------------------------------------------
  async function loadTriggers(): Promise<Record<string, ServedScenario>> {
    const res = await fetch('/scenarios', {
      headers: { Accept: 'application/json' },
      credentials: 'omit',
      cache: 'no-store',
    });
    if (!res.ok) throw new Error(`GET /scenarios answered ${res.status}`);
    const data = (await res.json()) as { scenarios: ServedScenario[] };
    const byScenario: Record<string, ServedScenario> = {};
    for (const s of data.scenarios) byScenario[s.id] = s;
    triggers = byScenario;
    loadedAt = Date.now();
    return byScenario;
  }

  function freshTriggers(): Promise<Record<string, ServedScenario>> {
    if (triggers && Date.now() - loadedAt < FRESH_MS) return Promise.resolve(triggers);
    return loadTriggers();
  }

  // --- Running a scenario ---------------------------------------------------------------------
  function requestFor(s: ServedScenario): { url: string; init: RequestInit } {
    const t = s.trigger;
    const headers: Record<string, string> = {};
    // fetch joins a list with commas, as String() does.
    for (const [name, value] of Object.entries(t.headers ?? {})) headers[name] = String(value);
    const init: RequestInit = { method: t.method, headers, credentials: 'omit', cache: 'no-store' };
    if (t.body !== undefined) {
      if (t.content_type === 'form') {
        const form = new URLSearchParams();
        for (const [k, v] of Object.entries(t.body)) form.append(k, String(v));
        init.body = form;
      } else {
        // JSON, unless the trigger names its own Content-Type (a charset the server refuses).
        const typed = Object.keys(headers).some((h) => h.toLowerCase() === 'content-type');
        if (!typed) headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(t.body);
      }
    }
    return { url: t.path, init };
  }

  function pretty(text: string, type: string | null): string {
    if (type && /json/.test(type)) {
      try {
        return JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        return text;
      }
    }
    return text;
  }

  function bodyCode(text: string): string | null {
    try {
      const body: unknown = JSON.parse(text);
      if (body && typeof body === 'object' && 'code' in body && typeof body.code === 'string') {
        return body.code;
      }
    } catch {
      // not JSON
    }
    return null;
  }

  function showResult(box: HTMLElement, s: ServedScenario | null, outcome: Outcome): void {
    box.textContent = '';
    box.hidden = false;
    const line = el('div', 'line');
    if ('error' in outcome || !s) {
      const error = 'error' in outcome ? outcome.error : 'no scenario';
      line.appendChild(el('span', 'verdict-bad', `The request failed: ${error}`));
      box.appendChild(line);
      return;
    }
    const { res } = outcome;
    const pill = el('span', `pill ${statusClass(res.status)}`, String(res.status));
    pill.dataset.status = String(res.status);
    line.appendChild(pill);
    line.appendChild(el('span', '', res.statusText || ''));
    const expected = s.expect.status;
    const expectedCode = s.expect.envelope === 'openai' ? null : s.expect.code || null;
    const code = bodyCode(outcome.text);
    const matches = res.status === expected && (!expectedCode || code === expectedCode);
    const verdict = el(
      'span',
      matches ? 'verdict-ok' : 'verdict-bad',
      matches
        ? '\u2713 as documented'
        : `\u2717 documented: ${expected}${s.expect.code ? ` ${s.expect.code}` : ''}`,
    );
    verdict.dataset.matches = String(matches);
    line.appendChild(verdict);
    line.appendChild(el('span', 'muted', `${outcome.ms} ms`));
    // A refusal names its explanation (kept under an id the server chose) in this header.
    const id = res.headers.get('x-explanation-id');
    if (res.status >= 400 && id) {
      const why = el('a', '', 'Why exactly? \u2192') as HTMLAnchorElement;
      why.href = `/explain/${encodeURIComponent(id)}`;
      line.appendChild(why);
    }
    box.appendChild(line);

    box.appendChild(headerList(res.headers));
    box.appendChild(el('div', 'label', 'Body'));
    const bodyPre = el('pre', 'wrap');
    // It scrolls past 18rem: focusable, so that a keyboard can scroll it too.
    bodyPre.tabIndex = 0;
    const shown = pretty(outcome.text, res.headers.get('content-type')) || '(empty)';
    bodyPre.appendChild(el('code', '', shown));
    box.appendChild(bodyPre);
    issuedTokens(outcome.text).forEach((t) => box.appendChild(t));
    localiseTimes(box);
  }

  /**
   * The tokens an answer issued (access_token, refresh_token, id_token in a JSON body), each
   * decoded under a fold: display only, as the cards show theirs (src/site/jwt-view.ts). The
   * tokens are read from the answer this page already holds: never sent or kept anywhere.
   */
  function issuedTokens(text: string): HTMLElement[] {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return [];
    }
    if (!body || typeof body !== 'object') return [];
    const folds: HTMLElement[] = [];
    for (const name of ['access_token', 'refresh_token', 'id_token']) {
      const token: unknown = (body as Record<string, unknown>)[name];
      if (typeof token !== 'string') continue;
      const reading = jwt.decodeJwt(token);
      const fold = el('details', 'jwt-fold');
      fold.appendChild(el('summary', '', `${name}, decoded`));
      const view = el('div', 'jwt');
      if (!reading.ok) {
        view.appendChild(el('p', '', reading.reason));
      } else {
        view.appendChild(part('header', 'Header', reading.header));
        view.appendChild(part('payload', 'Payload', reading.payload));
        const sig = el('div', 'jwt-part jwt-signature');
        sig.appendChild(el('p', 'jwt-label', 'Signature'));
        sig.appendChild(el('span', 'claim-note', 'Not checked on this page: only the server can.'));
        view.appendChild(sig);
      }
      fold.appendChild(view);
      folds.push(fold);
    }
    return folds;
  }

  /** One part of a decoded token: each member, what it means, a time in words. */
  function part(which: 'header' | 'payload', label: string, values: Record<string, unknown>) {
    const box = el('div', `jwt-part jwt-${which}`);
    box.appendChild(el('p', 'jwt-label', label));
    const list = el('dl', 'claims');
    for (const [name, value] of Object.entries(values)) {
      const row = el('div', 'claim');
      row.dataset.claim = name;
      row.appendChild(el('dt')).appendChild(el('code', '', name));
      const dd = el('dd');
      dd.appendChild(el('code', 'claim-value', JSON.stringify(value) ?? String(value)));
      if (which === 'payload' && jwt.isTimeClaim(name) && jwt.isNumericDate(value)) {
        const when = el('span', 'when');
        const time = el('time', '', jwt.isoOf(value)) as HTMLTimeElement;
        time.dateTime = jwt.isoOf(value);
        time.dataset.claim = name;
        time.dataset.seconds = String(value);
        when.append(' ', time, ' \u00b7 ', el('span', 'rel'));
        dd.appendChild(when);
      }
      const note = jwt.claimNote(which, name);
      if (note) dd.appendChild(el('span', 'claim-note', note));
      row.appendChild(dd);
      list.appendChild(row);
    }
    box.appendChild(list);
    return box;
  }

  /**
   * The response headers, those that matter first and marked (the challenge, Retry-After and
   * RateLimit, CORS, Vary: src/site/shared/headers.ts), the rest folded under "other headers".
   */
  function headerList(headers: Headers): HTMLElement {
    const { important, other } = sortHeaders(headers.entries());
    const box = el('div', 'headers');
    box.appendChild(el('div', 'label', 'Response headers'));
    const line = (h: SortedHeader) => {
      const item = el('li', h.kind === 'other' ? 'hdr' : `hdr matters ${h.kind}`);
      item.dataset.header = h.name.toLowerCase();
      if (h.kind !== 'other') {
        item.dataset.kind = h.kind;
        item.title = HEADER_KIND_NOTES[h.kind];
      }
      item.appendChild(el('span', 'hdr-name', h.name));
      item.appendChild(document.createTextNode(': '));
      item.appendChild(el('span', 'hdr-value', h.value));
      return item;
    };
    if (important.length > 0) {
      const list = el('ul', 'hdrs important');
      important.forEach((h) => list.appendChild(line(h)));
      box.appendChild(list);
    }
    const fold = el('details', 'other-headers');
    fold.appendChild(el('summary', '', `other headers (${other.length})`));
    const rest = el('ul', 'hdrs');
    other.forEach((h) => rest.appendChild(line(h)));
    fold.appendChild(rest);
    box.appendChild(fold);
    return box;
  }

  async function run(button: HTMLButtonElement, id: string): Promise<void> {
    const card = byId(id);
    const box = card.querySelector<HTMLElement>('.result');
    if (!box) return;
    button.disabled = true;
    button.textContent = 'Running\u2026';
    try {
      let s = (await freshTriggers())[id];
      if (s?.trigger.minted_each_second) s = (await loadTriggers())[id];
      if (!s) throw new Error(`GET /scenarios does not list ${id}`);
      const r = requestFor(s);
      const started = performance.now();
      const res = await fetch(r.url, r.init);
      const text = await res.text();
      showResult(box, s, { res, text, ms: Math.round(performance.now() - started) });
    } catch (err) {
      showResult(box, null, { error: err instanceof Error ? err.message : String(err) });
    }
    button.disabled = false;
    button.textContent = 'Run again';
    card.dataset.ran = 'true';
  }

  // --- Snippets: tabs and copy ----------------------------------------------------------------
  function selectLang(card: Element, lang: string): void {
    card.querySelectorAll<HTMLElement>('.tabs button').forEach((tab) => {
      tab.setAttribute('aria-selected', String(tab.dataset.lang === lang));
    });
    card.querySelectorAll<HTMLElement>('.snippet').forEach((snippet) => {
      snippet.hidden = snippet.dataset.lang !== lang;
    });
  }

  function selectEverywhere(chosen: string): void {
    snippetLang = chosen;
    document.querySelectorAll('details.scenario').forEach((card) => selectLang(card, chosen));
  }

  // --- Cards: a body is put in place when its card first opens --------------------------------
  /**
   * Puts a card's body in place from its `<template>` (routes/playground.ts sends each body
   * inert), the first time only: the language chosen, Run enabled once the triggers are here,
   * the token's times in this reader's zone.
   */
  function fill(card: Element): void {
    const template = card.querySelector<HTMLTemplateElement>(':scope > template.card-body');
    if (!template) return;
    template.replaceWith(template.content);
    if (snippetLang !== 'curl') selectLang(card, snippetLang);
    card.querySelectorAll<HTMLButtonElement>('button[data-run]').forEach((b) => {
      b.disabled = triggers === null; // enabled once the triggers have loaded
    });
    localiseTimes(card);
  }

  function cardOf(node: EventTarget | null): HTMLDetailsElement | null {
    return node instanceof HTMLDetailsElement && node.classList.contains('scenario') ? node : null;
  }

  function copy(button: HTMLButtonElement): void {
    const code = button.parentElement?.querySelector('code');
    if (!code) return;
    const done = (label: string) => {
      button.textContent = label;
      setTimeout(() => (button.textContent = 'Copy'), 1500);
    };
    const byHand = () => {
      const range = document.createRange();
      range.selectNodeContents(code);
      const selection = window.getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
      done('Press Ctrl+C');
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(code.textContent ?? '').then(() => done('Copied'), byHand);
    } else {
      byHand();
    }
  }

  // --- Filtering --------------------------------------------------------------------------------
  function statusMatches(status: number): boolean {
    if (statusFilter === 'all') return true;
    if (statusFilter === '2xx') return status < 300;
    if (statusFilter === '404') return status === 404 || status === 405;
    if (statusFilter === 'other')
      return ![400, 401, 403, 404, 405].includes(status) && status >= 300;
    return String(status) === statusFilter;
  }

  function applyFilter(): void {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    document.querySelectorAll<HTMLElement>('details.scenario').forEach((card) => {
      const text = card.dataset.search ?? '';
      const ok = statusMatches(Number(card.dataset.status)) && words.every((w) => text.includes(w));
      card.hidden = !ok;
      if (ok) shown += 1;
    });
    document.querySelectorAll<HTMLElement>('section.family').forEach((section) => {
      section.hidden = section.querySelectorAll('details.scenario:not([hidden])').length === 0;
    });
    count.textContent = `${shown}${shown === 1 ? ' scenario' : ' scenarios'}`;
    empty.hidden = shown !== 0;
  }

  // --- Deep links: /playground#token-expired opens that scenario ----------------------------------
  function openFromHash(): void {
    const id = decodeURIComponent(location.hash.slice(1));
    if (!id) return;
    const card = cardOf(document.getElementById(id));
    if (card) {
      fill(card);
      card.open = true;
      card.scrollIntoView({ block: 'start' });
    }
  }

  // --- Wiring ---------------------------------------------------------------------------------
  // A card opened by its summary (a click, or Enter and Space, which click it) is filled before
  // it opens, so that it never shows empty; one opened otherwise (find in page) when it opens.
  document.addEventListener(
    'click',
    (event) => {
      const summary = event.target instanceof Element ? event.target.closest('summary') : null;
      const card = cardOf(summary?.parentElement ?? null);
      if (card && summary === card.querySelector(':scope > summary')) fill(card);
    },
    true,
  );
  document.addEventListener(
    'toggle',
    (event) => {
      const card = cardOf(event.target);
      if (card?.open) fill(card);
    },
    true,
  );
  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target.closest('button') : null;
    if (!target) return;
    const { run: id, lang, statusFilter: wanted } = target.dataset;
    if (id) void run(target, id);
    else if (target.classList.contains('copy')) copy(target);
    else if (lang) {
      try {
        localStorage.setItem(LANG_KEY, lang);
      } catch {
        // private mode
      }
      selectEverywhere(lang);
    } else if (wanted) {
      statusFilter = wanted;
      document.querySelectorAll('[data-status-filter]').forEach((b) => {
        b.setAttribute('aria-pressed', String(b === target));
      });
      applyFilter();
    }
  });
  filter.addEventListener('input', applyFilter);
  window.addEventListener('hashchange', openFromHash);

  let savedLang: string | null = null;
  try {
    savedLang = localStorage.getItem(LANG_KEY);
  } catch {
    // private mode
  }
  if (savedLang && savedLang !== 'curl') selectEverywhere(savedLang);
  // Cards opened before this script was wired (a click while it loaded) are filled now.
  document.querySelectorAll('details.scenario[open]').forEach(fill);
  openFromHash();

  // The runs panel (the runs family): its own module, wired before the scenarios load.
  const { wireGrade } = await import('./grade.js');
  wireGrade();

  try {
    await loadTriggers();
    document.querySelectorAll<HTMLButtonElement>('button[data-run]').forEach((b) => {
      b.disabled = false;
    });
    document.body.dataset.ready = 'true';
  } catch (err) {
    count.textContent = `Could not load the scenarios: ${err instanceof Error ? err.message : String(err)}`;
    document.body.dataset.ready = 'error';
  }
})();
