/**
 * The script of /explain/:request_id (routes/explain.ts), served as /explain.js: shows the
 * token's times in the reader's time zone and counted from now (/local-times.js). A classic
 * script, loaded with `<script defer>`, so its one dependency comes by import().
 */
void (async () => {
  const { keepTimesLocal } = await import('./local-times.js');
  keepTimesLocal(document);
  document.body.dataset.ready = 'true';
})();
