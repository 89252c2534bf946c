import { Router } from 'express';
import { methodNotAllowed } from '../src/http/problems';
import { ARTICLES, SOURCES_PATH, type Article } from '../src/scenarios/sources';
import { html, type Html } from '../src/site/html';
import { layout } from '../src/site/layout';

/**
 * `GET /sources`: the two articles this server reproduces, by their titles, with the snippets
 * it runs (quoted as published, indentation restored where the blog's page lost it), and what
 * it does differently and why. The registry's texts link here (src/scenarios/sources.ts `cite`).
 */

const zh = (text: string) => html`<span lang="zh-CN">${text}</span>`;

/** A snippet as the article prints it, with its comments translated below. */
function quote(code: string, translations: [string, string][] = []): Html {
  return html`<figure class="quote">
    <pre><code>${code}</code></pre>
    ${
      translations.length === 0
        ? ''
        : html`<figcaption>
            ${translations.map(([original, english]) => html`${zh(original)}: ${english}. `)}
          </figcaption>`
    }
  </figure>`;
}

const play = (id: string, label: string) =>
  html`<a href="/playground#${id}">${label}</a> (<code>${id}</code>)`;

function heading(article: Article): Html {
  return html`<h2 id="${article.anchor}">${zh(article.title)}</h2>`;
}

function section(article: Article, n: number, body: Html): Html {
  const s = article.sections[n];
  if (!s) return body;
  return html`<section class="source-section" id="${s.anchor}">
    <h3>${zh(s.heading)} <span class="muted">(${s.english})</span></h3>
    ${body}
  </section>`;
}

const GET_NEW_TOKEN = `import requests

# 使用有效的凭据重新获取令牌
def get_new_token():
    auth_url = "https://api.example.com/auth/token"
    credentials = {
        "api_key": "YOUR_VALID_API_KEY",
        "api_secret": "YOUR_VALID_API_SECRET"
    }

    response = requests.post(auth_url, json=credentials)
    if response.status_code == 200:
        new_token = response.json().get("access_token")
        # 更新您的配置或环境变量
        return new_token
    else:
        raise Exception(f"获取新令牌失败: {response.text}")

# 使用新令牌重试原始请求
new_token = get_new_token()
headers = {
    "Authorization": f"Bearer {new_token}",
    "Content-Type": "application/json"
}`;

const CALL_WITH_RETRY = `# 在API调用中添加令牌失效的自动重试逻辑
def call_api_with_retry(url, headers, payload, max_retries=2):
    for attempt in range(max_retries + 1):
        response = requests.post(url, headers=headers, json=payload)

        if response.status_code == 401 and "Invalid Token" in response.text:
            if attempt < max_retries:
                # 刷新令牌并重试
                new_token = refresh_token()
                headers["Authorization"] = f"Bearer {new_token}"
                continue
            else:
                raise Exception("令牌刷新失败,请检查凭据")

        return response`;

const BEARER = `import requests

response = requests.get(url="http://example.com/api/v1/data", headers={"Authorization": "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"})

if response.status_code == 401:
  print("Invalid or missing auth token")`;

const KEEPALIVE = `import requests

session = requests.Session()
login_data = {"username": "my_username", "password": "my_password"}
session.post(url="http://example.com/login", data=login_data)

while True:
    response = session.post(url="http://example.com/keepalive")

    if response.status_code == 401:
        print("Session expired, logging in again...")
        session.post("http://example.com/login", data=login_data)`;

const FLASK_CORS = `from flask import Flask, jsonify, request
from flask_cors import CORS, cross_origin

app = Flask(__name__)
CORS(app)

@app.route("/")
def index():
    return jsonify({"message": "Hello World!"})

if __name__ == "__main__":
    app.run()`;

const FLASK_ADMIN = `from flask import Flask, jsonify
from flask_jwt_extended import get_jwt_identity, jwt_required, JWTManager

app = Flask(__name__)
app.config["JWT_SECRET_KEY"] = "super-secret-jwt-key"
jwt = JWTManager(app)

@app.route("/")
@jwt_required
def index():
    current_user = get_jwt_identity()
    if current_user and current_user["type"] == "admin":
        return jsonify({"message": "Welcome to the admin panel!"}), 200
    else:
        return jsonify({"message": "You are not authorized to access this resource."}), 401

if __name__ == "__main__":
    app.run()`;

function renderSources(): string {
  const a = ARTICLES.invalidToken;
  const b = ARTICLES.explained;
  return layout(
    'Sources',
    html`<h1>Sources</h1>
      <p class="lede">
        This server was built from two Chinese blog posts about HTTP 401. Their code is its first
        client: each snippet below runs against this server with only the host changed (the runnable
        copies are in <code>examples/python</code>), and behaves as the article says, or, where the
        article is wrong, as the RFCs say, with the difference explained here and in the scenario.
      </p>
      <ol class="toc">
        <li><a href="#${a.anchor}">${a.short}</a>: ${a.english.split(':')[0]}</li>
        <li><a href="#${b.anchor}">${b.short}</a> (${zh(b.title)})</li>
        <li><a href="#differences">What this server does differently, and why</a></li>
      </ol>

      <article class="source card">
        ${heading(a)}
        <p><strong>English:</strong> ${a.english}.</p>
        <p>A post of 31 December 2025: a Python client of an OpenAI-style gateway fails with</p>
        <pre><code>ClientError: 401 None. {'error': {'code': '', 'message': 'Invalid Token (request id: 20251231141907730597702a9EzKd3G)', 'type': 'rix_api_error'}}</code></pre>
        <p>
          and the post explains it: the access token is invalid or expired; get a new one and retry.
          This server answers exactly that message on <code>/v1/*</code>
          (${play('openai-invalid-key', 'an unknown key')},
          ${play('openai-expired-token', 'an expired token')}), and serves the token endpoint the
          fix calls.
        </p>
        ${section(
          a,
          3,
          html`<p>
              Get a new token with the API key and secret, then send the request again with it:
              ${play('auth-token-article', 'the article’s token request')}. The placeholder
              credentials are this server’s demo credentials, so it runs unchanged.
            </p>
            ${quote(GET_NEW_TOKEN, [
              ['使用有效的凭据重新获取令牌', 'get a new token with valid credentials'],
              ['更新您的配置或环境变量', 'update your configuration or environment'],
              ['获取新令牌失败', 'getting a new token failed'],
              ['使用新令牌重试原始请求', 'retry the original request with the new token'],
            ])}`,
        )}
        ${section(
          a,
          4,
          html`<p>
              Retry on a 401 after refreshing the token. The post never defines
              <code>refresh_token()</code>; the runnable copy uses <code>get_new_token()</code>. See
              ${play('token-expired', 'an expired token')} and the refresh grant,
              ${play('auth-token-refresh-retry', 'a refresh sent twice')}.
            </p>
            ${quote(CALL_WITH_RETRY, [
              ['在API调用中添加令牌失效的自动重试逻辑', 'retry automatically when the token fails'],
              ['刷新令牌并重试', 'refresh the token and retry'],
              ['令牌刷新失败,请检查凭据', 'refreshing the token failed, check the credentials'],
            ])}`,
        )}
      </article>

      <article class="source card">
        ${heading(b)}
        <p><strong>English:</strong> ${b.english}.</p>
        <p>
          A walk through four causes of a 401, each with Python <code>requests</code> or Flask code.
        </p>
        ${section(
          b,
          1,
          html`<p>
              A request without a valid bearer token gets 401. The token is jwt.io’s sample, signed
              with a secret this server has never held:
              ${play('token-jwt-io-sample', 'the article’s token')}; without one,
              ${play('bearer-missing', 'no token')}.
            </p>
            ${quote(BEARER)}`,
        )}
        ${section(
          b,
          2,
          html`<p>
              A session expires when the user is idle too long; a heartbeat keeps it alive, and a
              401 means log in again: ${play('session-login', 'the login form')},
              ${play('session-idle-expired', 'an idle session')},
              ${play('session-absolute-expired', 'a session past its absolute lifetime')}.
            </p>
            ${quote(KEEPALIVE)}`,
        )}
        ${section(
          b,
          3,
          html`<p>
              The post says a script calling another origin gets 401, and fixes it with Flask’s
              <code>CORS(app)</code>:
              ${play('cors-hello-world', 'the hello world from another origin')}. This server’s
              <code>GET /</code> is that route (for a browser it is this site’s front door; every
              other client gets the JSON).
            </p>
            ${quote(FLASK_CORS)}`,
        )}
        ${section(
          b,
          4,
          html`<p>
              An admin panel behind a role check, answering 401 to a signed-in user who is not an
              admin: ${play('admin-as-user', 'a non-admin')}, ${play('admin-as-admin', 'an admin')}.
            </p>
            ${quote(FLASK_ADMIN)}`,
        )}
      </article>

      <section class="card" id="differences">
        <h2>What this server does differently, and why</h2>
        <h3 id="differs-admin">A signed-in non-admin gets 403, not 401</h3>
        <p>
          The Flask example answers 401 to a valid token of a user who is not an admin. A 401 says
          the credentials are missing or bad, so a well-behaved client refreshes its token or asks
          the user to sign in again, and gets 401 again, forever. This server answers
          <strong>403</strong> with the code
          <a href="/problems/role_insufficient"><code>role_insufficient</code></a
          >: “the server understood the request but refuses to fulfill it … If authentication
          credentials were provided in the request, the server considers them insufficient to grant
          access” (<a href="https://www.rfc-editor.org/rfc/rfc9110#section-15.5.4"
            >RFC 9110 §15.5.4</a
          >). The one case where a valid token still earns a 401 is a login that is too old for the
          operation: ${play('step-up-stale-login', 'step-up')} (RFC 9470).
        </p>
        <h3 id="differs-cors">A cross-origin call is not answered 401</h3>
        <p>
          A 401 comes from missing or bad credentials, never from the caller’s origin. The server
          answers a script on another origin as it answers curl; it is the
          <strong>browser</strong> that decides, by the CORS headers of the answer, whether the
          script may read it. A refused origin gets no 401 it can see at all:
          <code>fetch</code> rejects with a TypeError
          (${play('cors-refused-origin', 'a refused origin')}), while an allowed one reads its 401
          and can act on it (${play('cors-no-token', 'no token')}). And
          <code>CORS(app)</code> allows every origin with <code>*</code>, which can never carry
          cookies: this server keeps a list of origins (CORS_ORIGINS).
        </p>
        <h3 id="differs-openai">The error is OpenAI’s, not the gateway’s</h3>
        <p>
          The gateway in the first post answered <code>"code": ""</code> and
          <code>"type": "rix_api_error"</code>. This server keeps its message,
          <code>Invalid Token (request id: …)</code>, with the id of the
          <code>X-Request-Id</code> header, and answers as OpenAI does,
          <code>"code": "invalid_api_key"</code>, <code>"type": "invalid_request_error"</code>, so
          an OpenAI SDK raises the same <code>AuthenticationError</code>.
        </p>
        <h3 id="differs-retry">Retry once, on the code, not on the text</h3>
        <p>
          The retry loop matches <code>"Invalid Token"</code> in the body’s text and retries up to
          twice. Text changes; the status and the problem’s <code>code</code> do not. Refresh once
          on a 401 whose code says the token expired or was revoked, then retry once: a second 401
          means the new token is refused too, and a loop only hides why.
        </p>
        <h3 id="differs-session">A heartbeat cannot keep a session forever</h3>
        <p>
          The keepalive loop would keep a session alive for ever. Here a session also ends
          SESSION_ABSOLUTE_SECONDS after login, whatever the heartbeat, and the loop should pause
          between beats (without a pause it sends requests as fast as the network allows). When the
          password is wrong, logging in again on every 401 is a loop of refused passwords, and the
          login form stops it (${play('session-too-many-attempts', 'too many attempts')}).
        </p>
      </section>
      <p class="muted">
        Source texts as published; snippets quoted for study. Back to
        <a href="/">the front door</a>.
      </p>`,
  );
}

/** `GET /sources`: the same for everyone, rendered once. */
export function sourcesRouter(): Router {
  const router = Router();
  const page = renderSources();
  router
    .route(SOURCES_PATH)
    .get(function sources(_req, res) {
      res.setHeader('Cache-Control', 'no-cache');
      res.type('html').send(page);
    })
    .all(methodNotAllowed('GET'));
  return router;
}
