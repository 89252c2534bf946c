import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The order in which this process accepted its connections, and how many requests each has
 * carried (src/http/server.ts tells both). /runs needs them to tell a request a client sent
 * before it could read an answer from one it sent after: a request arriving after an answer may
 * still have been sent before it, when it is the first on a connection the client opened before
 * that answer was written (concurrent calls that each open a connection, over a slow network or
 * on a busy machine). See RunRecord.conn and src/runs/rules.ts.
 */

const ACCEPTED = Symbol('four-oh-one.accepted');
const REQUESTS = Symbol('four-oh-one.requests');
const FIRST_ON = Symbol('four-oh-one.firstOn');
type Tagged = Socket & { [ACCEPTED]?: number; [REQUESTS]?: number };
type Noted = IncomingMessage & { [FIRST_ON]?: number };

let accepted = 0;

/** Names this process in run records: accept numbers compare only within one process. */
export const PROCESS_TAG = randomBytes(4).toString('hex');

/** For the server's `connection` event: numbers the connection. */
export function noteConnection(socket: Socket): void {
  (socket as Tagged)[ACCEPTED] = ++accepted;
}

/**
 * For every request, before the app sees it: counts it on its connection, and when it is the
 * first, keeps the connection's number on the request (read now, not when a middleware asks: a
 * pipelined second request may have been counted by then).
 */
export function noteRequest(req: IncomingMessage): void {
  const tagged = req.socket as Tagged;
  const count = (tagged[REQUESTS] ?? 0) + 1;
  tagged[REQUESTS] = count;
  if (count === 1) (req as Noted)[FIRST_ON] = tagged[ACCEPTED];
}

/**
 * How many connections this process had accepted when the request on `socket` was answered, with
 * the process's tag; undefined for a connection no server numbered (a test's in-process app).
 */
export function acceptedSoFar(socket: Socket): { last_accepted: number; proc: string } | undefined {
  return (socket as Tagged)[ACCEPTED] === undefined
    ? undefined
    : { last_accepted: accepted, proc: PROCESS_TAG };
}

/**
 * The accept number of the request's connection when the request is the first it carried;
 * undefined for a later one, or for a connection no server numbered (a test's in-process app).
 */
export function firstOnConnection(req: IncomingMessage): number | undefined {
  return (req as Noted)[FIRST_ON];
}
