import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  issueDemoToken,
  readPrivateToken,
  readTokenChallenge,
  TOKEN_KEY_B64,
  TOKEN_KEY_ID,
  tokenChallenge,
} from '../../src/auth/private-token';
import { buildApp, expectProblem } from '../helpers';

const RESOURCE = '/privacypass/resource';
const CHALLENGE =
  /^PrivateToken challenge="([A-Za-z0-9_-]+)", token-key="([A-Za-z0-9_-]+)", max-age="(\d+)"$/;

describe('PrivateToken (RFC 9577) at GET /privacypass/resource', () => {
  const ctx = buildApp();
  const challengeOf = async () => {
    const res = await ctx.http().get(RESOURCE);
    const m = CHALLENGE.exec(String(res.headers['www-authenticate']));
    if (!m) throw new Error(`no challenge: ${String(res.headers['www-authenticate'])}`);
    return { challenge: m[1]!, tokenKey: m[2]!, maxAge: Number(m[3]) };
  };
  const issue = async (challenge: string) =>
    (await ctx.http().post('/privacypass/demo-issuer').send({ challenge }).expect(200)).body
      .token as string;
  const redeem = (token: string) =>
    ctx.http().get(RESOURCE).set('Authorization', `PrivateToken token="${token}"`);

  it('challenges with a type 0x0002 TokenChallenge naming this host, the key, and max-age', async () => {
    const res = await ctx.http().get(RESOURCE);
    expectProblem(res, { status: 401, code: 'private_token_missing' });
    const { challenge, tokenKey, maxAge } = await challengeOf();
    expect(readTokenChallenge(Buffer.from(challenge, 'base64url'))).toEqual({
      tokenType: 2,
      issuerName: new URL(ctx.config.publicUrl).host,
    });
    expect(tokenKey).toBe(TOKEN_KEY_B64);
    expect(createHash('sha256').update(Buffer.from(tokenKey, 'base64url')).digest()).toEqual(
      TOKEN_KEY_ID,
    );
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(300);
  });

  it('redeems a token once, then answers private_token_spent with a challenge', async () => {
    const token = await issue((await challengeOf()).challenge);
    const ok = await redeem(token);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ authenticated: true, scheme: 'PrivateToken', tokenType: '0x0002' });
    const again = await redeem(token);
    expectProblem(again, { status: 401, code: 'private_token_spent' });
    expect(again.headers['www-authenticate']).toMatch(CHALLENGE);
  });

  it('takes a token for the last window, not for the one before', async () => {
    const { challenge } = await challengeOf();
    const a = await issue(challenge);
    const b = await issue(challenge);
    ctx.clock.advance(300_000);
    expect((await redeem(a)).status).toBe(200);
    expect((await challengeOf()).challenge).not.toBe(challenge);
    ctx.clock.advance(300_000);
    expectProblem(await redeem(b), { status: 401, code: 'private_token_challenge_mismatch' });
  });

  it('stores nothing for a refused token (a forged one is not spent)', async () => {
    const token = Buffer.from(await issue((await challengeOf()).challenge), 'base64url');
    const forged = Buffer.from(token);
    forged.writeUInt8(forged.readUInt8(forged.length - 1) ^ 1, forged.length - 1);
    expectProblem(await redeem(forged.toString('base64url')), {
      status: 401,
      code: 'private_token_invalid',
    });
    expect((await redeem(token.toString('base64url'))).status).toBe(200);
  });

  it.each([
    ['PrivateToken', 'private_token_malformed', 400],
    ['PrivateToken token=', 'private_token_malformed', 400],
    ['PrivateToken token="a+b/"', 'private_token_malformed', 400],
    ['PrivateToken tokens="AAIA"', 'private_token_malformed', 400],
    ['PrivateToken token="AAMA"', 'private_token_type_unsupported', 401],
    ['Bearer x', 'private_token_missing', 401],
  ])('refuses %j as %s', async (authorization, code, status) => {
    const res = await ctx.http().get(RESOURCE).set('Authorization', authorization);
    expectProblem(res, { status, code });
    expect(res.headers['www-authenticate']).toMatch(CHALLENGE);
  });

  it('never answers 5xx and spends nothing, whatever the credentials (property)', async () => {
    const token = await issue((await challengeOf()).challenge);
    const value = fc.oneof(
      fc.string({ maxLength: 60 }).map((s) => `PrivateToken ${s}`),
      fc
        .uint8Array({ minLength: 0, maxLength: 400 })
        .map((b) => `PrivateToken token="${Buffer.from(b).toString('base64url')}"`),
      fc.integer({ min: 0, max: 353 }).map((i) => {
        const raw = Buffer.from(token, 'base64url');
        raw.writeUInt8(raw.readUInt8(i) ^ 0xff, i);
        return `PrivateToken token="${raw.toString('base64url')}"`;
      }),
    );
    await fc.assert(
      fc.asyncProperty(value, async (authorization) => {
        const res = await ctx
          .http()
          .get(RESOURCE)
          .set('Authorization', authorization.replace(/[\r\n\0]/g, ''));
        expect([400, 401]).toContain(res.status);
      }),
      { numRuns: 120 },
    );
    expect((await redeem(token)).status).toBe(200);
  });

  it('issues only for a TokenChallenge of type 0x0002', async () => {
    const other = tokenChallenge({ issuerName: 'x', redemptionContext: Buffer.alloc(0) });
    other.writeUInt16BE(1, 0);
    for (const challenge of [other.toString('base64url'), 'AAIA', '', 42]) {
      const res = await ctx.http().post('/privacypass/demo-issuer').send({ challenge });
      expectProblem(res, { status: 400, code: 'private_token_challenge_unreadable' });
    }
  });
});

describe('a demo token, checked by an independent implementation', () => {
  const python = spawnSync('/usr/bin/python3', ['-c', 'import cryptography'], { stdio: 'ignore' });
  (python.status === 0 ? it : it.skip)(
    'verifies with pyca/cryptography: RSASSA-PSS, SHA-384, MGF1-SHA-384, 48-byte salt, under token-key',
    () => {
      const challenge = tokenChallenge({
        issuerName: 'issuer.example',
        redemptionContext: Buffer.alloc(32, 1),
      });
      const token = issueDemoToken(challenge);
      const read = readPrivateToken(`PrivateToken token="${token}"`);
      expect(read.kind).toBe('token');
      const script = `
import base64, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
b = lambda s: base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))
key = serialization.load_der_public_key(b(sys.argv[1]))
token = b(sys.argv[2])
key.verify(token[98:], token[:98], padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48), hashes.SHA384())
print("verified", key.key_size)
`;
      const out = spawnSync('/usr/bin/python3', ['-c', script, TOKEN_KEY_B64, token], {
        encoding: 'utf8',
      });
      expect(out.stderr).toBe('');
      expect(out.stdout.trim()).toBe('verified 2048');
    },
  );
});
