import { basicAuth } from '../../middleware/basic-auth';
import { eitherScheme, type SchemeGuard } from '../../middleware/either-scheme';
import { basicChallenge } from '../../src/auth/challenges';
import { problem } from '../../src/http/problems';
import { check, get, withHeader } from './check';

const BASIC = basicChallenge();
const TOKEN = 'Token realm="four-oh-one"';
const b64 = (text: string) => Buffer.from(text).toString('base64');

/** A second scheme: `Token good` passes, `Token broken` is a 400, any other token a 401. */
const tokenGuard: SchemeGuard = {
  scheme: 'Token',
  challenge: TOKEN,
  guard(req, res, next) {
    const value = req.headers.authorization?.slice('Token '.length);
    if (value === 'good') {
      res.locals.basicUser = 'by-token';
      next();
    } else if (value === 'broken') next(problem('bad_request'));
    else next(problem('token_expired', { headers: { 'WWW-Authenticate': `${TOKEN}, error="x"` } }));
  },
};
const basicGuard: SchemeGuard = {
  scheme: 'Basic',
  challenge: BASIC,
  guard: basicAuth({ verify: (user, password) => user === 'u' && password === 'p' }),
};
const guard = eitherScheme(basicGuard, tokenGuard);
const authorization = (value: string) => withHeader('Authorization', value);

describe('eitherScheme()', () => {
  it('throws at once on fewer than two schemes, or one without a guard', () => {
    expect(() => eitherScheme(basicGuard)).toThrow('eitherScheme: give at least two schemes');
    expect(() => eitherScheme(basicGuard, { ...tokenGuard, guard: undefined as never })).toThrow(
      'eitherScheme: Token has no guard',
    );
  });

  it.each([
    ['Basic', authorization(`Basic ${b64('u:p')}`), 'u'],
    ['Token', authorization('Token good'), 'by-token'],
  ])('passes what the %s guard lets through', async (_n, send, user) => {
    const res = await check(guard, send, { status: 200 });
    expect(res.body.locals.basicUser).toBe(user);
  });

  it('picks the guard by the scheme, whatever its case (RFC 9110 §11.1)', async () => {
    await check(guard, authorization(`bASIC ${b64('u:p')}`), { status: 200 });
  });

  // RFC 9110 §11.6.1: no credentials, or a scheme not taken here: every challenge, in order.
  it.each([
    ['no credentials', get, 'Send credentials with Basic or Token'],
    ['another scheme', authorization('Bearer x'), 'This resource accepts Basic or Token'],
  ])('answers %s with 401 credentials_missing and every challenge', async (_n, send, detail) => {
    const res = await check(guard, send, {
      status: 401,
      code: 'credentials_missing',
      headers: { 'WWW-Authenticate': `${BASIC}, ${TOKEN}` },
    });
    expect(res.body.detail).toMatch(new RegExp(`^${detail}`));
  });

  it('keeps a guard’s 401 and its own challenge, with the other schemes’ beside it', async () => {
    await check(guard, authorization(`Basic ${b64('u:wrong')}`), {
      status: 401,
      code: 'basic_credentials_invalid',
      headers: { 'WWW-Authenticate': `${BASIC}, ${TOKEN}` },
    });
    await check(guard, authorization('Token other'), {
      status: 401,
      code: 'token_expired',
      headers: { 'WWW-Authenticate': `${BASIC}, ${TOKEN}, error="x"` },
    });
  });

  it('passes a guard’s other refusals on as they are, with no challenge added', async () => {
    await check(guard, authorization('Basic !!'), {
      status: 400,
      code: 'basic_malformed',
      headers: { 'WWW-Authenticate': null },
    });
    await check(guard, authorization('Token broken'), {
      status: 400,
      code: 'bad_request',
      headers: { 'WWW-Authenticate': null },
    });
  });
});
