import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type express from 'express';
import { noteConnection, noteRequest } from './connections';
import { problem, rawProblem } from './problems';
import { connectToSelf } from './proxy';

/** Headers beyond this are refused with 431: room for a 20 KB token to be judged, not cut off. */
export const MAX_HEADER_BYTES = 32 * 1024;

/**
 * The HTTP server for an app. Requests Node cannot parse (bad bytes in a header, headers too
 * large) never reach Express; they get a problem+json answer here instead of Node's bare one.
 */
export function createServer(app: express.Application): Server {
  const server = createHttpServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    noteRequest(req);
    app(req, res);
  });
  server.on('connection', noteConnection);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const error = tooLarge
      ? problem('header_too_large', {
          detail: `The request headers exceed ${MAX_HEADER_BYTES} bytes.`,
        })
      : problem('bad_request', { detail: 'The request could not be parsed as HTTP/1.1.' });
    socket.end(rawProblem(error));
  });
  // CONNECT: the forward proxy's tunnel, to this very listener only (src/http/proxy.ts).
  server.on('connect', connectToSelf);
  return server;
}

/** Why a server could not listen, in one line naming the address (src/server.ts exits 2). */
export class ListenError extends Error {
  override name = 'ListenError';
}

/** What the usual listen failures mean, for the one line an operator reads. */
const LISTEN_FAILURES: Record<string, string> = {
  EADDRINUSE: 'the port is already in use',
  EADDRNOTAVAIL: "the address is not one of this machine's (HOST)",
  EACCES: 'permission denied (ports below 1024 need privileges)',
  ENOTFOUND: 'the host name does not resolve (HOST)',
  EAI_AGAIN: 'the host name could not be resolved now (HOST)',
};

/**
 * Listens, resolving with the address once listening; a failure (port taken, an address not
 * on this machine) rejects with a ListenError whose message is one line, instead of the
 * 'error' event that would end the process with a stack trace.
 */
export function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.removeListener('listening', onListening);
      const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      const why = (err.code && LISTEN_FAILURES[err.code]) ?? err.message;
      reject(
        new ListenError(`cannot listen on ${address}: ${why} (${err.code ?? 'error'})`, {
          cause: err,
        }),
      );
    };
    const onListening = () => {
      server.removeListener('error', onError);
      resolve(server.address() as AddressInfo);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
