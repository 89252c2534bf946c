import fc from 'fast-check';
import type { ScramMechanism } from '../../src/auth/scram';
import { buildApp, expectProblem } from '../helpers';
import { scramExchange, scramParams } from '../scram-client';

const PATH = '/scram/resource';
const OFFER = 'SCRAM-SHA-256 realm="four-oh-one", SCRAM-SHA-1 realm="four-oh-one"';
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('SCRAM over HTTP (routes/scram.ts, RFC 7804)', () => {
  const ctx = buildApp();
  const send = (authorization?: string) => {
    const req = ctx.http().get(PATH);
    return authorization === undefined ? req : req.set('Authorization', authorization);
  };
  const run = (mechanism: ScramMechanism, user = 'user', password = 'pencil') =>
    scramExchange((a) => send(a), { mechanism, user, password });

  it('offers both mechanisms, SHA-256 first, to a request without credentials', async () => {
    expectProblem(await send(), {
      status: 401,
      code: 'scram_credentials_missing',
      challenge: OFFER,
    });
    expectProblem(await send('Basic dXNlcjpwZW5jaWw='), {
      status: 401,
      code: 'scram_credentials_missing',
      challenge: OFFER,
    });
  });

  it.each(['SCRAM-SHA-256', 'SCRAM-SHA-1'] as const)(
    'runs the two rounds under %s and proves the server with v=',
    async (m) => {
      const r = await run(m);
      expectProblem(r.first, { status: 401, code: 'scram_continue' });
      expect(r.first.headers['www-authenticate']).toMatch(
        new RegExp(`^${m} sid=[A-Za-z0-9_-]{22}, data=[A-Za-z0-9+/]+={0,2}$`),
      );
      const serverFirst = Buffer.from(
        scramParams(r.first.headers['www-authenticate']).data!,
        'base64',
      ).toString();
      const salt = m === 'SCRAM-SHA-1' ? 'QSXCR+Q6sek8bf92' : 'W22ZaJ0SNY7soEsUEjb6gQ==';
      expect(serverFirst).toMatch(new RegExp(`^r=[^,]+,s=${salt.replace(/\+/g, '\\+')},i=4096$`));
      expect(r.final.status).toBe(200);
      expect(r.final.headers['www-authenticate']).toBeUndefined();
      expect(r.final.headers['cache-control']).toBe('no-store');
      expect(r.final.headers['authentication-info']).toMatch(
        new RegExp(`^sid=${r.sid}, data=[A-Za-z0-9+/]+={0,2}$`),
      );
      expect(r.serverVerified).toBe(true);
      expect(r.final.body).toEqual({ authenticated: true, user: 'user', mechanism: m });
    },
  );

  it('gives a fresh server nonce and sid each time', async () => {
    const a = await run('SCRAM-SHA-256');
    const b = await run('SCRAM-SHA-256');
    expect(a.sid).not.toBe(b.sid);
    expect(a.first.headers['www-authenticate']).not.toBe(b.first.headers['www-authenticate']);
  });

  it('refuses a proof made with the wrong password, and spends the sid', async () => {
    const r = await run('SCRAM-SHA-256', 'user', 'crayon');
    expectProblem(r.final, { status: 401, code: 'scram_proof_invalid', challenge: OFFER });
    expect(r.final.headers['authentication-info']).toBeUndefined();
    expect(r.serverVerified).toBe(false);
    expectProblem(await send(r.finalAuthorization), {
      status: 401,
      code: 'scram_sid_invalid',
      challenge: OFFER,
    });
  });

  it('answers an unknown user with a made-up salt, the same each time, and never verifies', async () => {
    const saltOf = async (user: string) => {
      const res = await send(`SCRAM-SHA-256 data=${b64(`n,,n=${user},r=abcdef`)}`);
      expectProblem(res, { status: 401, code: 'scram_continue' });
      const text = Buffer.from(scramParams(res.headers['www-authenticate']).data!, 'base64');
      return /,s=([^,]+),i=4096$/.exec(text.toString())?.[1];
    };
    const salt = await saltOf('nobody');
    expect(salt).toBeDefined();
    expect(salt).toBe(await saltOf('nobody'));
    expect(salt).not.toBe(await saltOf('user'));
    expect(Buffer.from(salt!, 'base64')).toHaveLength(16);
    const r = await run('SCRAM-SHA-256', 'nobody', 'pencil');
    expectProblem(r.final, { status: 401, code: 'scram_proof_invalid', challenge: OFFER });
  });

  it('refuses a replayed client-final message: the sid is answered once', async () => {
    const r = await run('SCRAM-SHA-1');
    expect(r.final.status).toBe(200);
    expectProblem(await send(r.finalAuthorization), {
      status: 401,
      code: 'scram_sid_invalid',
      challenge: OFFER,
    });
  });

  it('refuses an unknown sid, a sid under the other mechanism, and an expired one', async () => {
    const final = `data=${b64('c=biws,r=abc,p=AAAA')}`;
    expectProblem(await send(`SCRAM-SHA-256 sid=AAAABBBBCCCCDDDD, ${final}`), {
      status: 401,
      code: 'scram_sid_invalid',
      challenge: OFFER,
    });
    expectProblem(await send(`SCRAM-SHA-256 sid=${'A'.repeat(22)}, ${final}`), {
      status: 401,
      code: 'scram_sid_invalid',
    });
    const first = await send(`SCRAM-SHA-256 data=${b64('n,,n=user,r=abcdef')}`);
    const { sid } = scramParams(first.headers['www-authenticate']);
    expectProblem(await send(`SCRAM-SHA-1 sid=${sid}, ${final}`), {
      status: 401,
      code: 'scram_sid_invalid',
    });
    const late = await scramExchange(
      async (a) => {
        if (a.includes('sid=')) ctx.clock.advance(60_001);
        return send(a);
      },
      { mechanism: 'SCRAM-SHA-256', user: 'user', password: 'pencil' },
    );
    expectProblem(late.final, { status: 401, code: 'scram_sid_invalid', challenge: OFFER });
  });

  it('refuses a client-final message whose nonce or c= is not the exchange’s', async () => {
    const first = await send(`SCRAM-SHA-256 data=${b64('n,,n=user,r=abcdef')}`);
    const { sid } = scramParams(first.headers['www-authenticate']);
    expectProblem(await send(`SCRAM-SHA-256 sid=${sid}, data=${b64('c=biws,r=abcdefX,p=AAAA')}`), {
      status: 401,
      code: 'scram_sid_invalid',
    });
  });

  it.each(['p=tls-server-end-point', 'p=tls-unique', 'p=tls-exporter'])(
    'refuses channel binding (%s) over plain http, storing nothing',
    async (flag) => {
      const res = await send(`SCRAM-SHA-256 data=${b64(`${flag},,n=user,r=abcdef`)}`);
      expectProblem(res, {
        status: 401,
        code: 'scram_channel_binding_unsupported',
        challenge: OFFER,
      });
    },
  );

  it.each([
    ['no data', 'SCRAM-SHA-256'],
    ['data not base64', 'SCRAM-SHA-256 data=%%%'],
    ['unpadded base64', 'SCRAM-SHA-256 data=bix'],
    ['no GS2 header', `SCRAM-SHA-256 data=${b64('n=user,r=abcdef')}`],
    ['no nonce', `SCRAM-SHA-256 data=${b64('n,,n=user')}`],
    ['a bad = escape in the user', `SCRAM-SHA-256 data=${b64('n,,n=us=er,r=abcdef')}`],
    ['a nonce with a space', `SCRAM-SHA-256 data=${b64('n,,n=user,r=ab cd')}`],
    ['data given twice', 'SCRAM-SHA-256 data=biws, data=biws'],
    ['not parameters', 'SCRAM-SHA-256 ,,,'],
  ])('answers 400 for %s', async (_what, authorization) => {
    const res = await send(authorization);
    expectProblem(res, { status: 400, code: 'scram_malformed', challenge: null });
  });

  it('answers 400 for a client-final message without p=, and keeps the sid for a good one', async () => {
    const r = await scramExchange(
      async (a) => {
        if (a.includes('sid=')) {
          const { sid } = scramParams(a);
          const res = await send(`SCRAM-SHA-256 sid=${sid}, data=${b64('c=biws,r=abc')}`);
          expectProblem(res, { status: 400, code: 'scram_malformed', challenge: null });
        }
        return send(a);
      },
      { mechanism: 'SCRAM-SHA-256', user: 'user', password: 'pencil' },
    );
    expect(r.final.status).toBe(200);
  });

  it('never answers a random SCRAM-SHA-256 header with a 5xx', async () => {
    const data = fc.oneof(
      fc.string(),
      fc.string().map(b64),
      fc
        .tuple(fc.constantFrom('n,,', 'y,,', 'p=x,,', 'n,a=u,', ''), fc.string(), fc.string())
        .map(([g, u, r]) => b64(`${g}n=${u},r=${r}`)),
      fc.tuple(fc.string(), fc.string()).map(([r, p]) => b64(`c=biws,r=${r},p=${p}`)),
    );
    const value = fc
      .tuple(fc.option(fc.string()), data, fc.constantFrom(', ', ',', ' ,'))
      .map(([sid, d, sep]) => `SCRAM-SHA-256 ${sid === null ? '' : `sid=${sid}${sep}`}data=${d}`)
      // What a header field can carry: no control characters.
      .filter((v) => /^[\x20-\x7e]*$/.test(v));
    await fc.assert(
      fc.asyncProperty(value, async (authorization) => {
        const res = await send(authorization);
        expect(res.status).toBeLessThan(500);
        expect([200, 400, 401]).toContain(res.status);
      }),
      { numRuns: 150 },
    );
  });
});
