import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServerOnFreePort, type StartedServer } from './support';

const run = promisify(execFile);

/**
 * Negotiate and NTLM with independent clients against the built server: curl's own NTLM
 * (`--ntlm`, Debian's libcurl) and its GSS-API `--negotiate`, and Python requests with
 * requests_ntlm (ntlm-auth underneath). Both run the handshake on one keep-alive connection.
 */

/**
 * OpenSSL 3 keeps MD4 in its legacy provider, which Debian does not load by default: Python's
 * hashlib (and so ntlm-auth's NT hash) needs this configuration to hash at all.
 */
const OPENSSL_LEGACY = `openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
legacy = legacy_sect
[default_sect]
activate = 1
[legacy_sect]
activate = 1
`;

const PYTHON = `
import json, sys, requests
from requests_ntlm import HttpNtlmAuth
url, user, password = sys.argv[1:4]
r = requests.get(url, auth=HttpNtlmAuth(user, password))
print(json.dumps({"status": r.status_code, "history": [h.status_code for h in r.history],
                  "challenge": r.history[-1].headers.get("www-authenticate", "") if r.history else "",
                  "body": r.json()}))
`;

async function curl(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('curl', ['-s', '--max-time', '10', ...args], {
    env: { PATH: process.env.PATH ?? '' },
  });
}

describe('Negotiate and NTLM with independent clients, against the built server', () => {
  let server: StartedServer;
  let dir: string;
  beforeAll(async () => {
    server = await startServerOnFreePort(
      { LOG_LEVEL: 'warn', CORS_DEMO_PORT: '0' },
      { healthz: true },
    );
    dir = mkdtempSync(join(tmpdir(), 'ntlm-'));
    writeFileSync(join(dir, 'openssl.cnf'), OPENSSL_LEGACY);
  }, 30_000);
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const python = (path: string, user: string, password: string) =>
    run('/usr/bin/python3', ['-c', PYTHON, `${server.url}${path}`, user, password], {
      env: { PATH: process.env.PATH ?? '', OPENSSL_CONF: join(dir, 'openssl.cnf') },
    }).then(({ stdout }) => JSON.parse(stdout) as Record<string, unknown>);

  describe('curl --ntlm', () => {
    it('completes the three legs on one connection', async () => {
      const { stdout, stderr } = await curl(
        '-v',
        '--ntlm',
        '-u',
        'my_username:my_password',
        `${server.url}/ntlm/resource`,
      );
      expect(JSON.parse(stdout)).toEqual({
        authenticated: true,
        user: 'my_username',
        domain: 'FOUR-OH-ONE',
        scheme: 'NTLM',
        connection_authenticated: false,
      });
      // Type 1, the 401 with type 2, type 3 on the connection it came on.
      expect(stderr).toMatch(/> Authorization: NTLM TlRMTVNTUAABAAAA/);
      expect(stderr).toMatch(/< WWW-Authenticate: NTLM TlRMTVNTUAACAAAA/);
      expect(stderr).toMatch(/Re-using existing connection/);
      expect(stderr).toMatch(/> Authorization: NTLM TlRMTVNTUAADAAAA/);
      expect(stderr).toMatch(/< HTTP\/1\.1 200 OK/);
      expect(stderr).not.toMatch(/Connected to .*\n[\s\S]*Connected to /);
    });

    it('ends a wrong password in 401 ntlm_credentials_invalid', async () => {
      const { stdout } = await curl(
        '--ntlm',
        '-u',
        'my_username:wrong',
        `${server.url}/ntlm/resource`,
      );
      expect(JSON.parse(stdout)).toMatchObject({ status: 401, code: 'ntlm_credentials_invalid' });
    });

    it('stops after the challenge when told to close the connection', async () => {
      const { stdout } = await curl(
        '--ntlm',
        '-u',
        'my_username:my_password',
        '-H',
        'Connection: close',
        `${server.url}/ntlm/resource`,
      );
      expect(JSON.parse(stdout)).toMatchObject({ status: 401, code: 'ntlm_handshake_continue' });
      expect(JSON.parse(stdout).detail).toMatch(/close the connection/);
    });
  });

  describe('curl --negotiate (GSS-API, no Kerberos ticket here)', () => {
    it('sends no token: the first 401 is all there is', async () => {
      const { stdout, stderr } = await curl(
        '-v',
        '--negotiate',
        '-u',
        ':',
        `${server.url}/negotiate/resource`,
      );
      expect(stderr).not.toMatch(/> Authorization:/);
      expect(stderr).toMatch(/< WWW-Authenticate: Negotiate\r?\n/);
      expect(JSON.parse(stdout)).toMatchObject({ status: 401, code: 'ntlm_credentials_missing' });
    });
  });

  describe('Python requests with requests_ntlm', () => {
    it('completes NTLM where both schemes are offered (it prefers NTLM)', async () => {
      const r = await python('/ntlm/resource', 'my_username', 'my_password');
      expect(r).toMatchObject({
        status: 200,
        history: [401, 401],
        body: { authenticated: true, user: 'my_username', scheme: 'NTLM' },
      });
      expect(r.challenge).toMatch(/^NTLM TlRMTVNTUAACAAAA/);
    });

    it('completes a raw NTLM handshake inside Negotiate, with a DOMAIN\\user name', async () => {
      const r = await python('/negotiate/resource', 'FOUR-OH-ONE\\my_username', 'my_password');
      expect(r).toMatchObject({
        status: 200,
        body: { authenticated: true, domain: 'FOUR-OH-ONE', scheme: 'Negotiate' },
      });
      expect(r.challenge).toMatch(/^Negotiate TlRMTVNTUAACAAAA/);
    });

    it.each([
      ['a wrong password', 'my_username', 'wrong'],
      ['an unknown user', 'nobody', 'my_password'],
    ])('gets 401 ntlm_credentials_invalid for %s', async (_name, user, password) => {
      const r = await python('/ntlm/resource', user, password);
      expect(r).toMatchObject({ status: 401, body: { code: 'ntlm_credentials_invalid' } });
    });
  });
});
