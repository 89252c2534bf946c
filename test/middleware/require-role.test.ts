import { requireRole } from '../../middleware/require-role';
import { authenticatedAs, check, get } from './check';

describe('requireRole()', () => {
  it('throws at once on a role that is no lower-case token', () => {
    expect(() => requireRole('Admin')).toThrow('requireRole: role must be a lower-case token');
    expect(() => requireRole('')).toThrow(TypeError);
    expect(() => requireRole(1 as never)).toThrow(TypeError);
  });

  it('lets through a caller whose type is the role', async () => {
    await check([authenticatedAs({ type: 'admin' }), requireRole('admin')], get, { status: 200 });
  });

  // RFC 9110 §15.5.4: authenticated, but not allowed. No scope is named and no challenge sent,
  // since no token of this identity would be let through.
  it.each([
    ['another role', { type: 'user' }],
    ['no role at all', {}],
  ])('refuses %s with 403 role_insufficient and no challenge', async (_name, claims) => {
    const res = await check([authenticatedAs(claims), requireRole('admin')], get, {
      status: 403,
      code: 'role_insufficient',
      headers: { 'WWW-Authenticate': null },
    });
    expect(res.body.required_role).toBe('admin');
    expect(res.body.detail).toContain('needs the role admin');
  });

  it('is a 500 when no authentication ran before it (a wiring mistake, not a refusal)', async () => {
    await check(requireRole('admin'), get, { status: 500, code: 'internal_error' });
  });
});
