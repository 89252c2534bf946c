/**
 * Token times in the reader's own time zone and counted from now. The server renders each time
 * claim of a decoded token (src/site/jwt-view.ts) as
 * `<time datetime="…Z" data-claim="exp" data-seconds="…">` in UTC, followed by a `.rel` text
 * counted from the server's clock; this module rewrites both with the browser's Intl and clock,
 * and again every 15 seconds so that "expired 3 min ago" stays true. Imported by the pages'
 * scripts (/playground.js, /explain.js); from /local-times.js, '../shared/jwt.js' is
 * /shared/jwt.js. Display only: no token is read, sent or kept here.
 */
import { isNumericDate, relativeTime } from '../shared/jwt.js';

const format = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'long' });

/** Rewrites every token time under `root`; returns how many it rewrote. */
export function localiseTimes(root: ParentNode = document): number {
  const now = Date.now() / 1000;
  let done = 0;
  root.querySelectorAll<HTMLTimeElement>('time[data-seconds]').forEach((time) => {
    const seconds = Number(time.dataset.seconds);
    if (!isNumericDate(seconds)) return;
    time.textContent = format.format(new Date(seconds * 1000));
    time.title = `${time.dateTime} (UTC)`;
    const rel = time.parentElement?.querySelector<HTMLElement>('.rel');
    if (rel) rel.textContent = relativeTime(time.dataset.claim ?? '', seconds, now);
    time.dataset.local = 'true';
    done += 1;
  });
  return done;
}

/** Localises now and every 15 s while the page is open. */
export function keepTimesLocal(root: ParentNode = document): void {
  localiseTimes(root);
  setInterval(() => localiseTimes(root), 15_000);
}
