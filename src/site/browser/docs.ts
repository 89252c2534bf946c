/**
 * /docs (Swagger UI, routes/openapi.ts) beside Swagger UI's own scripts: names the one control
 * Swagger UI renders without an accessible name, the server chooser, once it is drawn. A
 * classic script, served as /docs.js.
 */
(() => {
  function nameControls(): void {
    const servers = document.getElementById('servers');
    if (servers && !servers.hasAttribute('aria-label')) {
      servers.setAttribute('aria-label', 'Server the requests are sent to');
    }
  }
  // Swagger UI draws (and redraws) the page after this script has run.
  new MutationObserver(nameControls).observe(document.body, { childList: true, subtree: true });
  nameControls();
})();
