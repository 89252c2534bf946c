import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createApp } from './app';
import type { Config } from './config';
import type * as CorsDemo from './cors-demo';
import { registryFor, registrySettings } from './scenarios';
import { createServer, listen, ListenError } from './http/server';
import type { SpecimenBook } from './tokens/specimens';
import { createStore } from './store';

export interface ServeOptions {
  /** Log the configuration's warnings; a cluster's primary has logged them for its workers. */
  warn: boolean;
}

/**
 * One server: store, app, listen, and a graceful shutdown. Run by src/server.ts as the whole
 * server, or in each worker of a cluster (src/cluster.ts), where listening on the port means
 * sharing the primary's.
 */
export async function serve(config: Config, options: ServeOptions): Promise<void> {
  const logger = pino({ level: config.logLevel });
  if (options.warn) for (const warning of config.warnings) logger.warn(warning);

  let draining = false;
  const store = createStore(config, { logger });
  const app = createApp(config, { store, logger, draining: () => draining });
  const server = createServer(app);

  // Requests being answered: a shutdown waits for them, and says truly how many it left.
  let inFlight = 0;
  let closing = false;
  server.prependListener('request', (_req, res) => {
    inFlight += 1;
    // Draining: every answer closes its connection, so clients reconnect elsewhere.
    if (draining) res.setHeader('Connection', 'close');
    res.once('close', () => {
      inFlight -= 1;
      if (closing && inFlight === 0) server.closeAllConnections();
    });
  });

  let demo: ReturnType<typeof CorsDemo.startCorsDemo> | undefined;

  /**
   * Stops accepting, lets the requests in flight finish (idle keep-alive connections are closed
   * at once, the others as their answer ends), closes the store without waiting on a stalled
   * Redis, and exits 0; 1 only if requests are still running after STOP_TIMEOUT_MS.
   */
  const close = () => {
    closing = true;
    const started = Date.now();
    logger.info({ inFlight }, 'shutting down: no new connections, finishing requests in flight');
    server.close(() => {
      void Promise.race([store.close(), sleep(STORE_CLOSE_TIMEOUT_MS)])
        .catch((err: unknown) => logger.warn({ err: String(err) }, 'store did not close cleanly'))
        .finally(() => {
          logger.info({ ms: Date.now() - started }, 'stopped');
          process.exit(0);
        });
    });
    if (inFlight === 0) server.closeAllConnections();
    else server.closeIdleConnections();
    demo?.close();
    demo?.closeAllConnections();
    setTimeout(() => {
      logger.warn(
        { inFlight },
        `${inFlight} request(s) still running after ${STOP_TIMEOUT_MS / 1000} s; exiting`,
      );
      process.exit(1);
    }, STOP_TIMEOUT_MS).unref();
  };

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    // SIGTERM comes from an orchestrator: fail readiness first so the balancer drains this
    // instance. SIGINT is a person at a terminal: no reason to wait.
    const drainMs = signal === 'SIGTERM' ? config.shutdown.drainSeconds * 1000 : 0;
    draining = true;
    if (drainMs === 0) {
      close();
      return;
    }
    logger.info(
      { signal, drainSeconds: drainMs / 1000 },
      'draining: /readyz answers 503 while requests are still served',
    );
    setTimeout(close, drainMs);
  };
  // Before listening: a signal that comes while the server starts still stops it gracefully.
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  let address: AddressInfo;
  try {
    address = await listen(server, config.port, config.host);
  } catch (err) {
    if (err instanceof ListenError) {
      process.stderr.write(`four-oh-one: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // After listening, a server error (e.g. too many open files on accept) is logged, never fatal.
  server.on('error', (err: Error) => logger.error({ err: String(err) }, 'http server error'));
  const { port } = address;
  logger.info(
    {
      url: `http://${config.host}:${port}`,
      port,
      store: store.kind,
      docs: `${config.publicUrl}/scenarios`,
    },
    'four-oh-one listening',
  );
  // The CORS demo page: a second origin that calls this server from the browser.
  if (config.cors.demoPort !== 0) {
    // With PORT=0 and no PUBLIC_URL, the default public URL names port 0: use the real one.
    const defaultUrl = `http://127.0.0.1:${config.port}`;
    const specimens = app.locals.specimens as SpecimenBook;
    // Loaded only when the demo page is on (CORS_DEMO_PORT=0 turns it off).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { startCorsDemo } = require('./cors-demo') as typeof CorsDemo;
    demo = startCorsDemo({
      apiBase: config.publicUrl === defaultUrl ? `http://127.0.0.1:${port}` : config.publicUrl,
      origins: config.cors.origins,
      user: { username: config.demo.username, password: config.demo.password },
      tokens: () => specimens.get(),
      registry: registryFor(registrySettings(config)),
      // The `iss` its single-page app checks: the API's URL unless JWT_ISSUER names another.
      ...(config.jwt.issuer === config.publicUrl ? {} : { issuer: config.jwt.issuer }),
      port: config.cors.demoPort,
      host: config.host,
      logger,
    });
  }
}

/** The longest a shutdown waits for requests in flight (after the drain). */
const STOP_TIMEOUT_MS = 10_000;
/** The longest a shutdown waits for the store to close (a stalled Redis must not hold it up). */
const STORE_CLOSE_TIMEOUT_MS = 2000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
