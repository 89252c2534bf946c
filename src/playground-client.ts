/**
 * The playground's script, served as /playground.js by routes/playground.ts. Browser code kept
 * as a string so that the compiled server (and the Docker image, which ships dist/ only)
 * carries it; test/e2e/playground-browser.test.ts runs it in Chromium. No template literals or
 * `${` inside, so that String.raw leaves it untouched.
 *
 * It fetches GET /scenarios for the triggers with fresh specimen tokens (again when they are
 * older than five minutes), runs one with fetch on a click, and shows what came back. Cookies
 * are never sent (credentials: 'omit'): a scenario gets exactly the headers it documents, and
 * a login scenario leaves no session in this browser.
 */
export const PLAYGROUND_SCRIPT = String.raw`
'use strict';
(function () {
  var FRESH_MS = 5 * 60 * 1000;
  var triggers = null;
  var loadedAt = 0;
  var count = document.getElementById('count');
  var filter = document.getElementById('filter');
  var empty = document.getElementById('empty');
  var statusFilter = 'all';
  var LANG_KEY = 'four-oh-one.snippet-lang';

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function pillClass(status) {
    if (status < 300) return 's2xx';
    if (status < 400) return 's3xx';
    if (status === 401 || status === 407) return 's401';
    if (status === 403) return 's403';
    if (status === 429) return 's429';
    if (status >= 500) return 's5xx';
    if (status === 404 || status === 405) return 's404';
    return 's400';
  }

  // --- The triggers, with tokens this server minted ---------------------------------------------
  function loadTriggers() {
    return fetch('/scenarios', { headers: { Accept: 'application/json' }, credentials: 'omit', cache: 'no-store' })
      .then(function (res) {
        if (!res.ok) throw new Error('GET /scenarios answered ' + res.status);
        return res.json();
      })
      .then(function (data) {
        triggers = {};
        data.scenarios.forEach(function (s) { triggers[s.id] = s; });
        loadedAt = Date.now();
        return triggers;
      });
  }

  function freshTriggers() {
    if (triggers && Date.now() - loadedAt < FRESH_MS) return Promise.resolve(triggers);
    return loadTriggers();
  }

  // --- Running a scenario ---------------------------------------------------------------------
  function requestFor(s) {
    var t = s.trigger;
    var headers = {};
    Object.keys(t.headers || {}).forEach(function (name) { headers[name] = t.headers[name]; });
    var init = { method: t.method, headers: headers, credentials: 'omit', cache: 'no-store' };
    if (t.body !== undefined) {
      if (t.content_type === 'form') {
        var form = new URLSearchParams();
        Object.keys(t.body).forEach(function (k) { form.append(k, String(t.body[k])); });
        init.body = form;
      } else {
        // JSON, unless the trigger names its own Content-Type (a charset the server refuses).
        var typed = Object.keys(headers).some(function (h) { return h.toLowerCase() === 'content-type'; });
        if (!typed) headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(t.body);
      }
    }
    return { url: t.path, init: init };
  }

  function pretty(text, type) {
    if (type && /json/.test(type)) {
      try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; }
    }
    return text;
  }

  function bodyCode(text) {
    try {
      var body = JSON.parse(text);
      if (body && typeof body.code === 'string') return body.code;
    } catch (e) { /* not JSON */ }
    return null;
  }

  function showResult(box, s, outcome) {
    box.textContent = '';
    box.hidden = false;
    var line = el('div', 'line');
    if (outcome.error) {
      line.appendChild(el('span', 'verdict-bad', 'The request failed: ' + outcome.error));
      box.appendChild(line);
      return;
    }
    var res = outcome.res;
    var pill = el('span', 'pill ' + pillClass(res.status), String(res.status));
    pill.dataset.status = String(res.status);
    line.appendChild(pill);
    line.appendChild(el('span', '', res.statusText || ''));
    var expected = s.expect.status;
    var expectedCode = s.expect.envelope === 'openai' ? null : (s.expect.code || null);
    var code = bodyCode(outcome.text);
    var matches = res.status === expected && (!expectedCode || code === expectedCode);
    var verdict = el('span', matches ? 'verdict-ok' : 'verdict-bad',
      matches ? '\u2713 as documented' : '\u2717 documented: ' + expected + (s.expect.code ? ' ' + s.expect.code : ''));
    verdict.dataset.matches = String(matches);
    line.appendChild(verdict);
    line.appendChild(el('span', 'muted', outcome.ms + ' ms'));
    // A refusal names its explanation (kept under an id the server chose) in this header.
    var id = res.headers.get('x-explanation-id');
    if (res.status >= 400 && id) {
      var why = el('a', '', 'Why exactly? \u2192');
      why.href = '/explain/' + encodeURIComponent(id);
      line.appendChild(why);
    }
    box.appendChild(line);

    box.appendChild(el('div', 'label', 'Response headers'));
    var headerLines = [];
    res.headers.forEach(function (value, name) { headerLines.push(name + ': ' + value); });
    var headersPre = el('pre');
    headersPre.appendChild(el('code', '', headerLines.sort().join('\n')));
    box.appendChild(headersPre);
    box.appendChild(el('div', 'label', 'Body'));
    var bodyPre = el('pre');
    bodyPre.appendChild(el('code', '', pretty(outcome.text, res.headers.get('content-type')) || '(empty)'));
    box.appendChild(bodyPre);
  }

  function run(button) {
    var id = button.dataset.run;
    var card = document.getElementById(id);
    var box = card.querySelector('.result');
    button.disabled = true;
    button.textContent = 'Running\u2026';
    var started = 0;
    freshTriggers()
      .then(function (all) {
        var s = all[id];
        if (!s) throw new Error('GET /scenarios does not list ' + id);
        var r = requestFor(s);
        started = performance.now();
        return fetch(r.url, r.init).then(function (res) {
          return res.text().then(function (text) {
            showResult(box, s, { res: res, text: text, ms: Math.round(performance.now() - started) });
          });
        });
      })
      .catch(function (err) {
        showResult(box, null, { error: String(err && err.message || err) });
      })
      .then(function () {
        button.disabled = false;
        button.textContent = 'Run again';
        card.dataset.ran = 'true';
      });
  }

  // --- Snippets: tabs and copy ----------------------------------------------------------------
  function selectLang(card, lang) {
    card.querySelectorAll('.tabs button').forEach(function (tab) {
      tab.setAttribute('aria-selected', String(tab.dataset.lang === lang));
    });
    card.querySelectorAll('.snippet').forEach(function (snippet) {
      snippet.hidden = snippet.dataset.lang !== lang;
    });
  }

  function copy(button) {
    var text = button.parentNode.querySelector('code').textContent;
    var done = function (label) {
      button.textContent = label;
      setTimeout(function () { button.textContent = 'Copy'; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done('Copied'); }, function () { selectText(button); done('Press Ctrl+C'); });
    } else {
      selectText(button);
      done('Press Ctrl+C');
    }
  }

  function selectText(button) {
    var range = document.createRange();
    range.selectNodeContents(button.parentNode.querySelector('code'));
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // --- Filtering --------------------------------------------------------------------------------
  function statusMatches(status) {
    if (statusFilter === 'all') return true;
    if (statusFilter === '2xx') return status < 300;
    if (statusFilter === '404') return status === 404 || status === 405;
    if (statusFilter === 'other') return [400, 401, 403, 404, 405].indexOf(status) < 0 && status >= 300;
    return String(status) === statusFilter;
  }

  function applyFilter() {
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    document.querySelectorAll('details.scenario').forEach(function (card) {
      var text = card.dataset.search;
      var ok = statusMatches(Number(card.dataset.status)) &&
        words.every(function (w) { return text.indexOf(w) >= 0; });
      card.hidden = !ok;
      if (ok) shown += 1;
    });
    document.querySelectorAll('section.family').forEach(function (section) {
      section.hidden = section.querySelectorAll('details.scenario:not([hidden])').length === 0;
    });
    count.textContent = shown + (shown === 1 ? ' scenario' : ' scenarios');
    empty.hidden = shown !== 0;
  }

  // --- Deep links: /playground#token-expired opens that scenario ----------------------------------
  function openFromHash() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) return;
    var card = document.getElementById(id);
    if (card && card.tagName === 'DETAILS') {
      card.open = true;
      card.scrollIntoView({ block: 'start' });
    }
  }

  // --- Wiring ---------------------------------------------------------------------------------
  document.addEventListener('click', function (event) {
    var target = event.target.closest('button');
    if (!target) return;
    if (target.dataset.run) run(target);
    else if (target.classList.contains('copy')) copy(target);
    else if (target.dataset.lang) {
      var lang = target.dataset.lang;
      try { localStorage.setItem(LANG_KEY, lang); } catch (e) { /* private mode */ }
      document.querySelectorAll('details.scenario').forEach(function (card) { selectLang(card, lang); });
    } else if (target.dataset.statusFilter) {
      statusFilter = target.dataset.statusFilter;
      document.querySelectorAll('[data-status-filter]').forEach(function (b) {
        b.setAttribute('aria-pressed', String(b === target));
      });
      applyFilter();
    }
  });
  filter.addEventListener('input', applyFilter);
  window.addEventListener('hashchange', openFromHash);

  var savedLang = null;
  try { savedLang = localStorage.getItem(LANG_KEY); } catch (e) { /* private mode */ }
  if (savedLang && savedLang !== 'curl') {
    document.querySelectorAll('details.scenario').forEach(function (card) { selectLang(card, savedLang); });
  }
  openFromHash();

  loadTriggers().then(function () {
    document.querySelectorAll('button[data-run]').forEach(function (b) { b.disabled = false; });
    document.body.dataset.ready = 'true';
  }, function (err) {
    count.textContent = 'Could not load the scenarios: ' + err.message;
    document.body.dataset.ready = 'error';
  });
})();
`;
