import { spawn, spawnSync } from 'node:child_process';
import pino from 'pino';
import { createApp } from '../../src/app';
import { MemoryStore, systemClock } from '../../src/store';
import { listening, testConfig, type Listening } from '../helpers';

/**
 * What a real cookie-jar client hears when its session ends. Python requests (like a browser)
 * drops a cookie once its Expires has passed, so the session cookie must outlive the session by
 * the tombstone window, or the client would hear session_missing ("no cookie came") instead of
 * session_absolute_expired. Runs on the real clock: the client's jar judges Expires by it.
 */

const CANDIDATES = [process.env.PYTHON, '/usr/bin/python3', 'python3'].filter(
  (c): c is string => c !== undefined && c !== '',
);
const python = CANDIDATES.find(
  (c) => spawnSync(c, ['-c', 'import requests'], { stdio: 'ignore', timeout: 10_000 }).status === 0,
);
if (python === undefined && process.env.CI !== 'true') {
  console.warn(
    `\n*** WARNING: no Python with "requests" (tried ${CANDIDATES.join(', ')}): the session client test will be SKIPPED. ***\n`,
  );
}
const itIfPython = python === undefined && process.env.CI !== 'true' ? it.skip : it;

/** Logs in with a 2-second absolute lifetime, waits past it, and sends the article's heartbeat. */
const SCRIPT = String.raw`
import json, sys, time, requests
base = sys.argv[1]
s = requests.Session()
login = s.post(base + "/login", data={"username": "my_username", "password": "my_password",
                                      "idle_seconds": "2", "absolute_seconds": "2"}, timeout=10)
time.sleep(2.6)
held = [c.name for c in s.cookies]
beat = s.post(base + "/keepalive", timeout=10)
again = s.post(base + "/keepalive", timeout=10)
print(json.dumps({"login": login.status_code, "held": held, "status": beat.status_code,
                  "code": beat.json().get("code"), "again": again.json().get("code")}))
`;

describe('a Python requests.Session whose session reached its absolute lifetime', () => {
  let served: Listening;
  let base: string;

  beforeAll(async () => {
    const store = new MemoryStore({ maxEntries: 10_000, clock: systemClock, sweepIntervalMs: 0 });
    const app = createApp(testConfig(), {
      store,
      clock: systemClock,
      logger: pino({ level: 'silent' }),
    });
    served = await listening(app);
    base = served.origin;
  });

  afterAll(() => served.close());

  itIfPython(
    'still presents its cookie, hears 401 session_absolute_expired, then session_missing',
    async () => {
      if (python === undefined) throw new Error('no Python with requests (set PYTHON)');
      const child = spawn(python, ['-c', SCRIPT, base], {
        env: { ...process.env, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' },
        timeout: 20_000,
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect({ code, err }).toEqual({ code: 0, err: '' });
      expect(JSON.parse(out)).toEqual({
        login: 200,
        held: ['four-oh-one.sid'],
        status: 401,
        code: 'session_absolute_expired',
        // The refusal cleared the cookie: the next heartbeat has none to send.
        again: 'session_missing',
      });
    },
    30_000,
  );
});
