import { requireRecentLogin } from '../../middleware/require-recent-login';
import { testClock } from '../helpers';
import { authenticatedAs, check, get } from './check';

const clock = testClock('2026-11-22T07:00:00Z');
const now = Math.floor(clock.now() / 1000);
const guard = requireRecentLogin({ maxAgeSeconds: 300, clock, resourceMetadata: 'http://x/m' });
const CHALLENGE =
  'Bearer realm="four-oh-one", error="insufficient_user_authentication", error_description="A more recent login is required", max_age="300", resource_metadata="http://x/m"';

describe('requireRecentLogin()', () => {
  it('throws at once on a maxAgeSeconds that is no positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '300']) {
      expect(() => requireRecentLogin({ maxAgeSeconds: bad as never, clock })).toThrow(
        'requireRecentLogin: maxAgeSeconds must be a positive integer',
      );
    }
  });

  it.each([0, 1, 300])('lets through a login %i seconds old', async (age) => {
    await check([authenticatedAs({ auth_time: now - age }), guard], get, { status: 200 });
  });

  // RFC 9470: a fresh login is needed, not a refresh: 401 with max_age in the challenge.
  it.each([
    ['a login too old', now - 301, 'Your login is 301s old; this needs one at most 300s old.'],
    [
      'no auth_time',
      undefined,
      'This token records no user login (auth_time); this needs a login at most 300s old.',
    ],
    [
      'an auth_time that is no time',
      'yesterday',
      'This token records no user login (auth_time); this needs a login at most 300s old.',
    ],
  ])('refuses %s with 401 insufficient_user_authentication', async (_n, authTime, detail) => {
    const res = await check([authenticatedAs({ auth_time: authTime }), guard], get, {
      status: 401,
      code: 'insufficient_user_authentication',
      headers: { 'WWW-Authenticate': CHALLENGE },
    });
    expect(res.body.max_age).toBe(300);
    expect(res.body.detail).toBe(detail);
  });
});
