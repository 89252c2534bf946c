import type { Server } from 'node:http';
import fc from 'fast-check';
import { buildApp, expectProblem, listening, type Listening, type TestContext } from '../helpers';
import { asResponse } from '../proxy-request';
import { ntlmHandshake, oneConnection, send } from '../ntlm-handshake';

const OFFER = 'Negotiate, NTLM';

describe('Negotiate and NTLM (routes/ntlm.ts)', () => {
  let ctx: TestContext;
  let served: Listening;
  let server: Server;
  beforeAll(async () => {
    ctx = buildApp();
    served = await listening(ctx.app);
    server = served.server;
  });
  afterAll(() => served.close());
  const demo = () => ({ user: ctx.config.demo.username, password: ctx.config.demo.password });

  describe('the handshake on one keep-alive connection', () => {
    it.each([
      ['/ntlm/resource', 'NTLM'],
      ['/ntlm/resource', 'Negotiate'],
      ['/negotiate/resource', 'Negotiate'],
    ] as const)('completes at %s under %s, with no final token', async (path, scheme) => {
      const h = await ntlmHandshake(server, path, { scheme, ...demo(), domain: 'FOUR-OH-ONE' });
      expectProblem(asResponse(h.challenge), { status: 401, code: 'ntlm_handshake_continue' });
      expect(h.challenge.headers['www-authenticate']).toMatch(
        new RegExp(`^${scheme} TlRMTVNTUAACAAAA[A-Za-z0-9+/]+=*$`),
      );
      expect(h.challenge.headers.connection).toBe('keep-alive');
      expect(h.final.localPort).toBe(h.challenge.localPort);
      expect(h.final.status).toBe(200);
      expect(h.final.headers['www-authenticate']).toBeUndefined();
      expect(h.final.headers['cache-control']).toBe('no-store');
      expect(h.final.body).toEqual({
        authenticated: true,
        user: ctx.config.demo.username,
        domain: 'FOUR-OH-ONE',
        scheme,
        connection_authenticated: false,
      });
    });

    it('accepts an empty domain and any case of the user name', async () => {
      const { user, password } = demo();
      const h = await ntlmHandshake(server, '/ntlm/resource', {
        user: user.toUpperCase(),
        password,
      });
      expect(h.final.status).toBe(200);
    });

    it('leaves the connection unauthenticated: the next request gets the challenge again', async () => {
      const agent = oneConnection();
      try {
        const h = await ntlmHandshake(server, '/ntlm/resource', { ...demo(), agent });
        expect(h.final.status).toBe(200);
        const next = await send(server, agent, '/ntlm/resource');
        expect(next.localPort).toBe(h.final.localPort);
        expectProblem(asResponse(next), {
          status: 401,
          code: 'ntlm_credentials_missing',
          challenge: OFFER,
        });
      } finally {
        agent.destroy();
      }
    });
  });

  describe('refusals', () => {
    it('refuses the type 3 on another connection than its type 2', async () => {
      const h = await ntlmHandshake(server, '/ntlm/resource', { ...demo(), thirdOn: false });
      expect(h.final.localPort).not.toBe(h.challenge.localPort);
      expectProblem(asResponse(h.final), {
        status: 401,
        code: 'ntlm_connection_changed',
        challenge: OFFER,
      });
    });

    it('answers each challenge once: the same type 3 again is refused', async () => {
      const agent = oneConnection();
      try {
        const h = await ntlmHandshake(server, '/ntlm/resource', { ...demo(), agent });
        expect(h.final.status).toBe(200);
        const again = await send(server, agent, '/ntlm/resource', {
          Authorization: `NTLM ${h.type3}`,
        });
        expect(again.localPort).toBe(h.final.localPort);
        expectProblem(asResponse(again), { status: 401, code: 'ntlm_connection_changed' });
      } finally {
        agent.destroy();
      }
    });

    it('lets a challenge expire after 60 seconds', async () => {
      const agent = oneConnection();
      try {
        const first = await send(server, agent, '/ntlm/resource', {
          Authorization: 'NTLM TlRMTVNTUAABAAAABoIIAAAAAAAAAAAAAAAAAAAAAAA=',
        });
        expect(first.status).toBe(401);
        ctx.clock.advance(61_000);
        const { authenticateMessage } = await import('../../src/auth/ntlm');
        const www = String(first.headers['www-authenticate']);
        const type3 = authenticateMessage({
          ...demo(),
          challenge: Buffer.from(www.slice(5), 'base64'),
        }).toString('base64');
        const late = await send(server, agent, '/ntlm/resource', {
          Authorization: `NTLM ${type3}`,
        });
        expect(late.localPort).toBe(first.localPort);
        expectProblem(asResponse(late), { status: 401, code: 'ntlm_connection_changed' });
        expect(late.body.detail).toMatch(/expired/);
      } finally {
        agent.destroy();
      }
    });

    it.each([
      ['a wrong password', { password: 'wrong' }],
      ['an unknown user', { user: 'nobody' }],
      ['another domain', { domain: 'ELSEWHERE' }],
    ])('answers %s with ntlm_credentials_invalid, on the same connection', async (_n, change) => {
      const h = await ntlmHandshake(server, '/ntlm/resource', { ...demo(), ...change });
      expect(h.final.localPort).toBe(h.challenge.localPort);
      expectProblem(asResponse(h.final), {
        status: 401,
        code: 'ntlm_credentials_invalid',
        challenge: OFFER,
      });
    });

    it('refuses an NTLMv1 response with its own code', async () => {
      const h = await ntlmHandshake(server, '/ntlm/resource', { ...demo(), version: 'ntlmv1' });
      expectProblem(asResponse(h.final), {
        status: 401,
        code: 'ntlm_v1_refused',
        challenge: OFFER,
      });
    });

    it('offers only Negotiate at /negotiate/resource, and refuses the NTLM scheme there', async () => {
      const res = await ctx
        .http()
        .get('/negotiate/resource')
        .set('Authorization', 'NTLM TlRMTVNTUAABAAAABoIIAAAAAAAAAAAAAAAAAAAAAAA=');
      expectProblem(res, { status: 401, code: 'ntlm_credentials_missing', challenge: 'Negotiate' });
    });
  });

  describe('any token (property)', () => {
    it('answers 400 or 401 with a problem code, never 5xx', async () => {
      const agent = oneConnection();
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.constantFrom('NTLM', 'Negotiate'),
            fc.oneof(
              fc.base64String({ maxLength: 400 }),
              fc
                .uint8Array({ maxLength: 300 })
                .map((b) =>
                  Buffer.concat([Buffer.from('NTLMSSP\0\x03\0\0\0', 'latin1'), b]).toString(
                    'base64',
                  ),
                ),
              fc.string({ maxLength: 60 }).filter((s) => /^[\x21-\x7e]*$/.test(s)),
            ),
            async (scheme, token) => {
              const res = await send(server, agent, '/ntlm/resource', {
                Authorization: `${scheme} ${token}`,
              });
              expect([400, 401]).toContain(res.status);
              expect(typeof res.body.code).toBe('string');
            },
          ),
          { numRuns: 150 },
        );
      } finally {
        agent.destroy();
      }
    });
  });
});
