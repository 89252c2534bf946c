import { requireScope } from '../../middleware/require-scope';
import { authenticatedAs, check, get } from './check';

const CHALLENGE =
  'Bearer realm="four-oh-one", scope="data:read", error="insufficient_scope", error_description="Token lacks the required scope", resource_metadata="http://x/m"';

describe('requireScope()', () => {
  it('throws at once on anything but one RFC 6749 §3.3 scope token', () => {
    for (const bad of ['', 'a b', 'quo"te', 'back\\slash', 1]) {
      expect(() => requireScope(bad as never)).toThrow(
        'requireScope: scope must be one RFC 6749 §3.3 scope token',
      );
    }
  });

  it.each(['data:read', 'admin data:read', 'data:read admin'])(
    'lets through a token whose scope claim %j holds the scope',
    async (scope) => {
      await check([authenticatedAs({ scope }), requireScope('data:read')], get, { status: 200 });
    },
  );

  // RFC 6750 §3.1: authenticated, the token lacks a scope: 403 with the scope a token needs.
  it.each([
    ['another scope', 'admin', '"admin"'],
    ['a scope that only starts the same', 'data:readonly', '"data:readonly"'],
    ['no scope claim', undefined, 'no scope'],
  ])('refuses %s with 403 insufficient_scope naming the scope', async (_n, scope, has) => {
    const res = await check(
      [authenticatedAs({ scope }), requireScope('data:read', { resourceMetadata: 'http://x/m' })],
      get,
      { status: 403, code: 'insufficient_scope', headers: { 'WWW-Authenticate': CHALLENGE } },
    );
    expect(res.body.required_scope).toBe('data:read');
    expect(res.body.detail).toBe(
      `This token carries ${has}; this resource needs a token with scope "data:read".`,
    );
  });
});
