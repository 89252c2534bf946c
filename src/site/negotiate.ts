import type { Request } from 'express';

/**
 * Whether the client prefers an HTML page to JSON: a browser's navigation (`text/html, …,
 * *\/*;q=0.8`) does; curl, Python requests and the OpenAI SDK (`*\/*`, `application/json`) and a
 * client that sends no Accept at all do not, so they keep the JSON answer.
 */
export function wantsHtml(req: Request): boolean {
  return req.accepts(['application/json', 'text/html']) === 'text/html';
}
