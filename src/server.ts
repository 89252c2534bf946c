import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createApp } from './app';
import { ConfigError, loadConfig } from './config';
import { startCorsDemo } from './cors-demo';
import { createServer } from './http';
import type { SpecimenBook } from './specimens';
import { createStore } from './store';

/** The entry point: configuration, store, app, listen, and a graceful shutdown. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`four-oh-one: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = pino({ level: config.logLevel });
  for (const warning of config.warnings) logger.warn(warning);

  const store = createStore(config, { logger });
  const app = createApp(config, { store, logger });
  const server = createServer(app);
  let demo: ReturnType<typeof startCorsDemo> | undefined;
  server.listen(config.port, config.host, () => {
    const { port } = server.address() as AddressInfo;
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
      demo = startCorsDemo({
        apiBase: config.publicUrl === defaultUrl ? `http://127.0.0.1:${port}` : config.publicUrl,
        origins: config.cors.origins,
        user: { username: config.demo.username, password: config.demo.password },
        tokens: () => specimens.get(),
        port: config.cors.demoPort,
        host: config.host,
        logger,
      });
    }
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
    // Finish what is in flight; idle keep-alive sockets are closed at once.
    server.close(() => {
      store.close().finally(() => {
        logger.info('stopped');
        process.exit(0);
      });
    });
    server.closeIdleConnections();
    demo?.close();
    demo?.closeIdleConnections();
    setTimeout(() => {
      logger.warn('requests still running after 10s; exiting');
      process.exit(1);
    }, 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
