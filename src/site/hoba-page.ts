import { html } from './html';
import { layout } from './layout';

/**
 * GET /hoba: HOBA (RFC 7486) in the browser. The script (src/site/browser/hoba-demo.ts) makes an
 * RSA key with WebCrypto, registers it, and signs in with it, showing each request and answer.
 */
export function hobaPage(): string {
  return layout(
    'HOBA: a key instead of a password',
    html`<header class="page-head">
        <nav class="crumbs">
          <a href="/playground#hoba">playground</a> · <a href="/problems">problems</a>
        </nav>
        <h1>HOBA: a key instead of a password (RFC 7486)</h1>
        <p class="muted">
          This page makes an RSA key pair in your browser (WebCrypto, RSASSA-PKCS1-v1_5 with
          SHA-256; the private half cannot be exported), registers its public half at
          <code>POST /.well-known/hoba/register</code>, and signs in at
          <code>GET /hoba/resource</code> by signing the server's challenge together with this
          origin and the realm. The key lives in this page only: reload it and the server no longer
          knows you (registrations are kept an hour, for your address only).
        </p>
      </header>
      <section class="card">
        <p><button id="hoba-run" type="button" disabled>Register a key and sign in</button></p>
        <ol id="hoba-log" aria-live="polite"></ol>
      </section>`,
    { script: '/hoba-demo.js' },
  );
}
