/**
 * The pages of the authorization endpoint (routes/authorize.ts): the login form, the consent
 * form, and the callback page both demo clients are registered with. Plain forms that post back
 * to /authorize: no script at all, so they work with helmet's strict CSP and in any browser.
 */
import { html, type Html } from './html';
import { layout } from './layout';

/** What every form of the flow carries: the request's fields and the anti-forgery token. */
export interface FormState {
  /** The authorization request as hidden fields (src/oauth/request.ts `requestFields`). */
  fields: [string, string][];
  csrf: string;
}

const SCOPE_TEXT: Record<string, string> = {
  openid: 'Know who you are (an id_token with your user name)',
  profile: 'Read your profile (your name)',
  'data:read': 'Read your data at /api/v1/data',
  admin: 'Act as an administrator at /admin',
};

const hidden = (fields: [string, string][]) =>
  fields.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`);

/** The user name and password fields of a sign-in form (ids prefixed, for their labels). */
export function credentialFields(prefix: string, username: string): Html {
  return html`<label for="${prefix}-username">User name</label>
    <input
      id="${prefix}-username"
      name="username"
      autocomplete="username"
      required
      maxlength="128"
      value="${username}"
    />
    <label for="${prefix}-password">Password</label>
    <input
      id="${prefix}-password"
      name="password"
      type="password"
      autocomplete="current-password"
      required
      maxlength="128"
    />`;
}

/** Why the page asks for a password again, when it does. */
export type LoginReason = 'none' | 'prompt' | 'max_age' | 'acr' | 'failed';

const REASONS: Record<Exclude<LoginReason, 'none'>, string> = {
  prompt: 'The application asked for a fresh login (prompt=login).',
  max_age: 'Your last login is older than the application accepts (max_age).',
  acr: 'The application asked for a password typed now (acr_values).',
  failed: 'The user name or password is wrong.',
};

export function loginPage(options: {
  clientName: string;
  form: FormState;
  reason: LoginReason;
  username: string;
  demoUsers: string;
}): string {
  const { form, reason } = options;
  return layout(
    'Sign in',
    html`<section class="authz">
      <h1>Sign in</h1>
      <p><strong>${options.clientName}</strong> asks you to sign in to four-oh-one.</p>
      ${
        reason === 'none'
          ? ''
          : html`<p class="authz-note" role="${reason === 'failed' ? 'alert' : 'status'}">
              ${REASONS[reason]}
            </p>`
      }
      <form class="authz-form" method="post" action="/authorize">
        ${hidden(form.fields)}
        <input type="hidden" name="csrf_token" value="${form.csrf}" />
        ${credentialFields('authz', options.username)}
        <button type="submit" name="action" value="login">Sign in</button>
      </form>
      <p class="muted">Demo users: ${options.demoUsers}.</p>
    </section>`,
  );
}

export function consentPage(options: {
  clientName: string;
  sub: string;
  scopes: string[];
  /** Scopes asked for that this user cannot have: shown as not granted. */
  refused: string[];
  pending: string;
  csrf: string;
}): string {
  return layout(
    'Allow access?',
    html`<section class="authz">
      <h1>Allow access?</h1>
      <p>
        <strong>${options.clientName}</strong> asks to act for you, <strong>${options.sub}</strong>:
      </p>
      <ul class="authz-scopes">
        ${options.scopes.map((s) => html`<li><code>${s}</code>: ${SCOPE_TEXT[s] ?? s}</li>`)}
      </ul>
      ${
        options.refused.length > 0
          ? html`<p class="muted">
              Not granted (your account does not have them):
              ${options.refused.map((s) => html`<code>${s}</code> `)}
            </p>`
          : ''
      }
      <form class="authz-form authz-actions" method="post" action="/authorize">
        <input type="hidden" name="pending" value="${options.pending}" />
        <input type="hidden" name="csrf_token" value="${options.csrf}" />
        <button type="submit" name="action" value="approve">Allow</button>
        <button type="submit" name="action" value="deny" class="authz-deny">Deny</button>
      </form>
    </section>`,
  );
}

/** The longest value of a callback parameter shown. */
const MAX_SHOWN = 2048;

/** The authorization response's parameters as the callback page shows them (text only, capped). */
export function callbackQuery(query: Record<string, unknown>): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const name of ['code', 'state', 'iss', 'error', 'error_description']) {
    const value = query[name];
    if (typeof value === 'string') shown[name] = value.slice(0, MAX_SHOWN);
  }
  return shown;
}

/**
 * What a redirect URI's page shows: what came back and, for a code, the token request the
 * client makes next (the code_verifier is the client's; it is not here). The API serves it in
 * the site's frame; the CORS demo page's server, on the second origin, in its plain one.
 */
export function callbackBody(query: Record<string, string>, tokenUrl: string): Html {
  const rows: Html[] = Object.entries(query).map(
    ([k, v]) =>
      html`<tr>
        <th scope="row"><code>${k}</code></th>
        <td><code>${v}</code></td>
      </tr>`,
  );
  const code = query.code;
  return html`<section class="authz">
    <h1>${query.error === undefined ? 'Authorization response' : 'Authorization refused'}</h1>
    <p>What the authorization server sent back to the client’s redirect URI (RFC 6749 §4.1.2).</p>
    <table class="authz-table">
      <tbody>
        ${rows}
      </tbody>
    </table>
    ${
      code === undefined
        ? ''
        : html`<h2>Exchange the code (within 60 seconds, once)</h2>
            <pre tabindex="0" aria-label="The token request"><code>curl -s ${tokenUrl} \\
  -d grant_type=authorization_code \\
  -d code=${code} \\
  -d redirect_uri=… -d client_id=… -d code_verifier=…</code></pre>`
    }
  </section>`;
}

/** The callback page of the API's origin. */
export function callbackPage(query: Record<string, string>, tokenUrl: string): string {
  return layout('Authorization response', callbackBody(query, tokenUrl));
}
