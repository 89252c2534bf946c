/**
 * The CORS demo page's script, served as /demo.js by src/cors-demo.ts. It is browser code, kept
 * as a string so that the compiled server (and the Docker image, which ships dist/ only) carries
 * it; test/e2e/cors-browser.test.ts runs every line of it in Chromium. No template literals or
 * `${` inside, so that String.raw leaves it untouched.
 *
 * The page and its sandboxed frame run the same script: in the frame (body[data-role=frame]) it
 * makes the calls it is sent by postMessage, from the frame's opaque origin (`Origin: null`).
 */
export const CORS_DEMO_SCRIPT = String.raw`
'use strict';
(function () {
  // Headers the script tries to read on every answer; null means hidden (or not sent).
  var WATCHED = ['content-type', 'cache-control', 'www-authenticate', 'x-request-id',
    'retry-after', 'access-control-allow-origin', 'set-cookie'];

  /** Makes one call with fetch and records what a script can see of it. */
  function observe(apiBase, call) {
    var init = { method: call.method, credentials: call.credentials, headers: {} };
    Object.keys(call.headers || {}).forEach(function (name) { init.headers[name] = call.headers[name]; });
    if (call.body) {
      init.body = new URLSearchParams(call.body).toString();
      init.headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    return fetch(apiBase + call.path, init).then(function (res) {
      var headers = {};
      WATCHED.forEach(function (name) { headers[name] = res.headers.get(name); });
      var names = [];
      res.headers.forEach(function (_value, name) { names.push(name); });
      return res.text().then(function (text) {
        var body = null;
        try { body = JSON.parse(text); } catch (e) { body = null; }
        return {
          outcome: 'response',
          status: res.status,
          headers: headers,
          readableHeaderNames: names.sort(),
          code: body && typeof body.code === 'string' ? body.code : null,
          body: body,
        };
      });
    }, function (err) {
      return { outcome: 'network-error', error: String(err && err.name) + ': ' + String(err && err.message) };
    });
  }

  // --- In the sandboxed frame: run what the page sends, answer with what was seen ------------
  if (document.body.dataset.role === 'frame') {
    var parentOrigin = new URLSearchParams(location.search).get('parent') || '*';
    window.addEventListener('message', function (event) {
      if (event.source !== window.parent || !event.data || event.data.type !== 'call') return;
      observe(event.data.apiBase, event.data.call).then(function (observed) {
        window.parent.postMessage({ type: 'observed', id: event.data.id, observed: observed }, parentOrigin);
      });
    });
    window.parent.postMessage({ type: 'frame-ready', origin: String(self.origin) }, parentOrigin);
    return;
  }

  // --- On the page ------------------------------------------------------------------------
  var data = JSON.parse(document.getElementById('demo-data').textContent);
  var apiBase = data.apiBase;
  var pageOrigin = location.origin;
  var originAllowed = data.origins.indexOf(pageOrigin) >= 0;
  // Cookies belong to a host, whatever the port; SameSite compares sites. For the loopback
  // names used here the site is the host name itself.
  var sameSite = new URL(apiBase).hostname === location.hostname;

  function text(selector, value) {
    var el = document.querySelector(selector);
    if (el) el.textContent = value;
  }
  text('#page-origin', pageOrigin);
  var status = document.getElementById('origin-status');
  status.dataset.allowed = String(originAllowed);
  status.dataset.sameSite = String(sameSite);
  status.className = 'note ' + (originAllowed && sameSite ? 'good' : 'warn');
  status.textContent = (originAllowed
    ? 'This page\u2019s origin, ' + pageOrigin + ', is on the API\u2019s CORS_ORIGINS: the API answers it with Access-Control-Allow-Origin. '
    : 'This page\u2019s origin, ' + pageOrigin + ', is NOT on the API\u2019s CORS_ORIGINS: every call below fails as a network error, except the wildcard one without credentials. That is what any other site sees. ')
    + (sameSite
      ? 'It is the same site as the API (' + new URL(apiBase).hostname + '), so the session cookie works across the two ports.'
      : 'It is NOT the same site as the API (' + location.hostname + ' versus ' + new URL(apiBase).hostname + '): the browser drops the SameSite=Lax session cookie, so the cookie login below cannot work from here.');

  // --- The sandboxed frame (origin "null") -------------------------------------------------
  var frame = document.getElementById('null-frame');
  var frameReady = null;
  var frameReadyPromise = new Promise(function (resolve) { frameReady = resolve; });
  var pending = {};
  var nextId = 1;
  window.addEventListener('message', function (event) {
    if (event.source !== frame.contentWindow || !event.data) return;
    if (event.data.type === 'frame-ready') {
      text('#frame-origin', event.data.origin);
      frameReady();
    } else if (event.data.type === 'observed' && pending[event.data.id]) {
      pending[event.data.id](event.data.observed);
      delete pending[event.data.id];
    }
  });
  function observeInFrame(call) {
    return frameReadyPromise.then(function () {
      return new Promise(function (resolve) {
        var id = nextId++;
        pending[id] = resolve;
        // An opaque origin can only be addressed as '*'; nothing secret goes to it.
        frame.contentWindow.postMessage({ type: 'call', id: id, apiBase: apiBase, call: call }, '*');
      });
    });
  }

  // --- Expectations --------------------------------------------------------------------------
  /** What this page should see: the documented view, unless its own origin is refused. */
  function expectedFor(view) {
    if (view.fromSandboxedFrame || originAllowed) return view.sees;
    if (view.anyOrigin && view.fetch.credentials === 'omit') return view.sees;
    return { outcome: 'network-error', console: "No 'Access-Control-Allow-Origin' header" };
  }

  /** The differences between what was expected and what the script saw; empty when none. */
  function differences(expected, observed) {
    var out = [];
    if (expected.outcome !== observed.outcome) {
      out.push('expected ' + expected.outcome + ', saw ' + observed.outcome);
      return out;
    }
    if (expected.outcome === 'network-error') return out;
    if (expected.status !== observed.status) out.push('status ' + observed.status + ', expected ' + expected.status);
    if (expected.code && expected.code !== observed.code) out.push('code ' + observed.code + ', expected ' + expected.code);
    (expected.readable || []).forEach(function (name) {
      if (observed.headers[name] === null || observed.headers[name] === undefined) out.push(name + ' is not readable');
    });
    (expected.unreadable || []).forEach(function (name) {
      if (observed.headers[name] !== null && observed.headers[name] !== undefined) out.push(name + ' is readable');
    });
    return out;
  }

  function summary(observed) {
    if (observed.outcome === 'network-error') {
      return 'fetch rejected: ' + observed.error + '. No status, header or body reached the script.';
    }
    var readable = [];
    var hidden = [];
    ['www-authenticate', 'x-request-id', 'retry-after', 'content-type', 'access-control-allow-origin', 'set-cookie'].forEach(function (name) {
      (observed.headers[name] === null ? hidden : readable).push(name);
    });
    return 'status ' + observed.status + (observed.code ? ', code ' + observed.code : '')
      + '. Readable: ' + (readable.join(', ') || 'none') + '. null: ' + (hidden.join(', ') || 'none') + '.';
  }

  function show(el, observed, expected) {
    var diffs = expected ? differences(expected, observed) : [];
    el.dataset.state = 'done';
    el.dataset.observed = JSON.stringify(observed);
    el.dataset.verdict = expected ? (diffs.length === 0 ? 'as-documented' : 'differs') : 'observed';
    el.querySelector('.verdict').textContent = expected
      ? (diffs.length === 0 ? '\u2714 as documented' : '\u2718 differs: ' + diffs.join('; '))
      : '';
    el.querySelector('.verdict').className = 'verdict ' + el.dataset.verdict;
    el.querySelector('.seen').textContent = summary(observed);
    var shown = observed.outcome === 'response'
      ? { status: observed.status, headers: observed.headers, body: observed.body }
      : { error: observed.error };
    el.querySelector('.observed').textContent = JSON.stringify(shown, null, 2);
  }

  function runView(el) {
    var view = data.views[el.dataset.view];
    el.dataset.state = 'running';
    var run = view.fromSandboxedFrame ? observeInFrame(view.fetch) : observe(apiBase, view.fetch);
    return run.then(function (observed) { show(el, observed, expectedFor(view)); });
  }

  document.querySelectorAll('[data-view]').forEach(function (el) {
    var view = data.views[el.dataset.view];
    el.dataset.expect = JSON.stringify(expectedFor(view));
    el.querySelector('button').addEventListener('click', function () { runView(el); });
  });

  document.getElementById('run-all').addEventListener('click', function () {
    var views = Array.prototype.slice.call(document.querySelectorAll('[data-view]'));
    views.reduce(function (prev, el) { return prev.then(function () { return runView(el); }); }, Promise.resolve())
      .then(function () { document.body.dataset.ranAll = 'true'; });
  });

  // --- The cookie session across origins ---------------------------------------------------
  document.querySelectorAll('[data-step]').forEach(function (el) {
    var step = data.steps[el.dataset.step];
    el.querySelector('button').addEventListener('click', function () {
      var call = JSON.parse(JSON.stringify(step.fetch));
      var idle = document.getElementById('idle-seconds');
      if (call.body && idle && idle.value) call.body.idle_seconds = idle.value;
      // A password the operator set is not in the page: the learner types it.
      var password = document.getElementById('login-password');
      if (call.body && password && call.body.password === undefined) call.body.password = password.value;
      el.dataset.state = 'running';
      observe(apiBase, call).then(function (observed) { show(el, observed, null); });
    });
  });
})();
`;
