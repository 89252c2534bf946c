import { createServer as createHttpServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type express from 'express';
import { PROBLEM_CONTENT_TYPE } from './problems';

/** Headers beyond this are refused with 431: room for a 20 KB token to be judged, not cut off. */
export const MAX_HEADER_BYTES = 32 * 1024;

/**
 * The HTTP server for an app. Requests Node cannot parse (bad bytes in a header, headers too
 * large) never reach Express; they get a problem+json answer here instead of Node's bare one.
 */
export function createServer(app: express.Application): Server {
  const server = createHttpServer({ maxHeaderSize: MAX_HEADER_BYTES }, app);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const body = JSON.stringify({
      type: tooLarge ? '/problems/header_too_large' : '/problems/bad_request',
      title: tooLarge ? 'Request header fields too large' : 'Bad request',
      status,
      detail: tooLarge
        ? `The request headers exceed ${MAX_HEADER_BYTES} bytes.`
        : 'The request could not be parsed as HTTP/1.1.',
      code: tooLarge ? 'header_too_large' : 'bad_request',
    });
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}
