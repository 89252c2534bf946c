/**
 * The pages of OAuth 1.0a's resource owner authorization (RFC 5849 §2.2, routes/oauth1.ts): the
 * approval form, the page an `oob` client's user copies the verifier from, and this server's own
 * callback page. Plain forms, no script, as the OAuth 2.0 pages (src/site/authorize.ts).
 */
import { html } from './html';
import { credentialFields } from './authorize';
import { layout } from './layout';

export function oauth1AuthorizePage(options: {
  token: string;
  consumerKey: string;
  callback: string;
  failed: boolean;
  username: string;
  demoUsers: string;
}): string {
  return layout(
    'Authorize an OAuth 1.0a client',
    html`<section class="authz">
      <h1>Authorize ${options.consumerKey}?</h1>
      <p>
        The client <strong>${options.consumerKey}</strong> asks to act for you at
        <code>/oauth1/resource</code> with OAuth 1.0a (RFC 5849 §2.2). Sign in to approve; it then
        gets a verifier
        ${
          options.callback === 'oob'
            ? html`that this page shows you to copy (its callback is <code>oob</code>).`
            : html`at <code>${options.callback}</code>.`
        }
      </p>
      ${
        options.failed
          ? html`<p class="authz-note" role="alert">The user name or password is wrong.</p>`
          : ''
      }
      <form class="authz-form" method="post" action="/oauth1/authorize">
        <input type="hidden" name="oauth_token" value="${options.token}" />
        ${credentialFields('oauth1', options.username)}
        <button type="submit" name="action" value="approve">Sign in and allow</button>
        <button type="submit" name="action" value="deny" class="authz-deny" formnovalidate>
          Deny
        </button>
      </form>
      <p class="muted">Demo users: ${options.demoUsers}.</p>
    </section>`,
  );
}

/** What the resource owner sees after deciding, when the client cannot be sent back (`oob`). */
export function oauth1DecisionPage(options: { verifier?: string; token: string }): string {
  return layout(
    options.verifier ? 'Authorized' : 'Denied',
    html`<section class="authz">
      ${
        options.verifier
          ? html`<h1>Authorized</h1>
              <p>
                Give this verifier to the client; it sends it as <code>oauth_verifier</code> to
                <code>POST /oauth1/access_token</code> (RFC 5849 §2.3):
              </p>
              <p><code class="oauth1-verifier">${options.verifier}</code></p>`
          : html`<h1>Denied</h1>
              <p>
                The temporary credentials <code>${options.token}</code> are gone; the client must
                start again.
              </p>`
      }
    </section>`,
  );
}

/** This server's callback page: what the client at /oauth1/callback would receive. */
export function oauth1CallbackPage(query: {
  token: string;
  verifier: string;
  denied: string;
}): string {
  return layout(
    'OAuth 1.0a callback',
    html`<section class="authz">
      <h1>OAuth 1.0a callback</h1>
      ${
        query.denied !== ''
          ? html`<p>The resource owner denied <code>${query.denied}</code>.</p>`
          : html`<p>
                The client receives these (RFC 5849 §2.2) and exchanges them, signed with the
                temporary credentials, at <code>POST /oauth1/access_token</code>:
              </p>
              <dl>
                <dt><code>oauth_token</code></dt>
                <dd><code>${query.token}</code></dd>
                <dt><code>oauth_verifier</code></dt>
                <dd><code class="oauth1-verifier">${query.verifier}</code></dd>
              </dl>`
      }
    </section>`,
  );
}
