/**
 * The pill colour class of a status (src/site/static/site.css): each kind of answer has its own.
 * The pages the server renders and the playground's script, which colours the answers it gets,
 * import this one module; both tsconfigs compile it, so it uses neither Node's globals nor the
 * browser's.
 */
export function statusClass(status: number): string {
  if (status < 300) return 's2xx';
  if (status < 400) return 's3xx';
  if (status === 401 || status === 407) return 's401';
  if (status === 403) return 's403';
  if (status === 429) return 's429';
  if (status >= 500) return 's5xx';
  if (status === 404 || status === 405) return 's404';
  return 's400';
}
