import { ConfigError, loadConfig } from '../src/config';

const SECRET = 's'.repeat(32);

describe('loadConfig', () => {
  it('works with no environment at all', () => {
    const config = loadConfig({}, { randomBytes: (n) => Buffer.alloc(n, 7) });
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      publicUrl: 'http://127.0.0.1:3000',
      logLevel: 'info',
      redisUrl: undefined,
      trustProxy: false,
      store: { maxEntries: 200_000 },
      jwt: {
        secretGenerated: true,
        issuer: 'http://127.0.0.1:3000',
        audience: 'four-oh-one',
        clockToleranceSeconds: 30,
      },
    });
    expect(config.jwt.secret).toEqual(Buffer.alloc(32, 7));
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toMatch(/^JWT_SECRET is unset/);
  });

  it('makes a different secret each start when JWT_SECRET is unset', () => {
    expect(loadConfig({}).jwt.secret.equals(loadConfig({}).jwt.secret)).toBe(false);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      PUBLIC_URL: 'https://sandbox.example/',
      LOG_LEVEL: 'silent',
      JWT_SECRET: SECRET,
      JWT_ISSUER: 'https://issuer.example',
      JWT_AUDIENCE: 'my-api',
      JWT_CLOCK_TOLERANCE_SECONDS: '0',
      REDIS_URL: 'redis://redis:6379/0',
      TRUST_PROXY: '1',
      STORE_MAX_ENTRIES: '1000',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      publicUrl: 'https://sandbox.example',
      logLevel: 'silent',
      redisUrl: 'redis://redis:6379/0',
      trustProxy: 1,
      store: { maxEntries: 1000 },
      jwt: {
        secretGenerated: false,
        issuer: 'https://issuer.example',
        audience: 'my-api',
        clockToleranceSeconds: 0,
      },
      warnings: [],
    });
    expect(config.jwt.secret.toString()).toBe(SECRET);
  });

  it('defaults the issuer to PUBLIC_URL', () => {
    expect(loadConfig({ PUBLIC_URL: 'http://localhost:9999', JWT_SECRET: SECRET }).jwt.issuer).toBe(
      'http://localhost:9999',
    );
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', REDIS_URL: '', JWT_SECRET: SECRET })).toMatchObject({
      port: 3000,
      redisUrl: undefined,
    });
  });

  it.each([
    ['true', true],
    ['false', false],
    ['2', 2],
    ['loopback', 'loopback'],
    ['10.0.0.0/8, 127.0.0.1', '10.0.0.0/8, 127.0.0.1'],
  ])('reads TRUST_PROXY=%s', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value, JWT_SECRET: SECRET }).trustProxy).toEqual(expected);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT: must be a whole number'],
    [{ PORT: '70000' }, 'PORT: '],
    [{ PORT: '-1' }, 'PORT: must be a whole number'],
    [
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent',
    ],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET: must be at least 32 bytes'],
    [{ JWT_ISSUER: 'not a url' }, 'JWT_ISSUER: must be an absolute URL'],
    [{ PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL: must be an absolute http(s) URL'],
    [{ JWT_CLOCK_TOLERANCE_SECONDS: '3600' }, 'JWT_CLOCK_TOLERANCE_SECONDS: '],
    [{ REDIS_URL: 'http://redis:6379' }, 'REDIS_URL: must be a redis:// or rediss:// URL'],
    [{ TRUST_PROXY: 'everyone!' }, 'TRUST_PROXY: must be true, false, a hop count'],
    [{ STORE_MAX_ENTRIES: '5' }, 'STORE_MAX_ENTRIES: '],
  ])('stops on %j with one line naming the variable', (env, message) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message.startsWith(message)).toBe(true);
    expect((error as Error).message).not.toContain('\n');
  });

  it('never puts the secret in an error message', () => {
    expect(() => loadConfig({ JWT_SECRET: 'tiny-secret' })).toThrow(
      /^JWT_SECRET: must be at least 32 bytes$/,
    );
  });
});
