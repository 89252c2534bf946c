import { problemCatalog } from '../../src/scenarios/catalog';
import { scenarios } from '../../src/scenarios';
import { buildApp, expectProblem } from '../helpers';

describe('the catalog routes', () => {
  const ctx = buildApp();

  describe('GET /scenarios', () => {
    it('lists every registered scenario with a ready-to-run trigger', async () => {
      const res = await ctx.http().get('/scenarios');
      expect(res.status).toBe(200);
      expect(res.body.scenarios.map((s: { id: string }) => s.id)).toEqual(
        scenarios.map((s) => s.id),
      );
      expect(res.body.families.map((f: { id: string }) => f.id)).toEqual(
        expect.arrayContaining(['bearer', 'platform']),
      );
      const expired = res.body.scenarios.find((s: { id: string }) => s.id === 'token-expired');
      expect(expired.trigger.headers.Authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
      expect(expired.trigger.curl).toBe(
        `curl -i 'http://127.0.0.1:3000/api/v1/data' -H 'Authorization: ${expired.trigger.headers.Authorization}'`,
      );
      expect(expired.docs).toBe('/problems/token_expired');
    });

    it('serves triggers that really produce the documented answer', async () => {
      const res = await ctx.http().get('/scenarios');
      const revoked = res.body.scenarios.find((s: { id: string }) => s.id === 'token-revoked');
      const answer = await ctx.http().get(revoked.trigger.path).set(revoked.trigger.headers);
      expectProblem(answer, { status: 401, code: 'token_revoked' });
    });

    it('mints specimens at most once per interval, writing five keys, so browsing it writes almost nothing', async () => {
      const set = jest.spyOn(ctx.store, 'set');
      await ctx.http().get('/scenarios');
      await ctx.http().get('/scenarios');
      expect(set).not.toHaveBeenCalled();
      ctx.clock.advance(11 * 60 * 1000);
      await ctx.http().get('/scenarios');
      // The revoked jti, the two used refresh tokens, the two expired sessions.
      expect(set).toHaveBeenCalledTimes(5);
      set.mockRestore();
    });

    it('answers POST with 405', async () => {
      expectProblem(await ctx.http().post('/scenarios'), {
        status: 405,
        code: 'method_not_allowed',
      });
    });
  });

  describe('GET /problems', () => {
    it('lists every problem code', async () => {
      const res = await ctx.http().get('/problems');
      expect(res.body.problems.map((p: { code: string }) => p.code)).toEqual(
        Object.keys(problemCatalog),
      );
    });
  });

  describe('GET /problems/:code', () => {
    it.each(Object.keys(problemCatalog))('documents %s as JSON by default', async (code) => {
      const res = await ctx.http().get(`/problems/${code}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers.vary).toMatch(/Accept/);
      expect(res.body).toMatchObject({
        type: `/problems/${code}`,
        code,
        title: expect.any(String),
        remedy: expect.any(String),
      });
    });

    it('renders HTML for a browser, with the scenarios that produce the problem', async () => {
      const res = await ctx
        .http()
        .get('/problems/token_expired')
        .set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('<h1>Access token expired</h1>');
      expect(res.text).toContain('An expired token');
      expect(res.text).toContain('https://www.rfc-editor.org/rfc/rfc7519#section-4.1.4');
      expect(res.text).not.toContain('<script');
    });

    it('escapes what it renders', async () => {
      const res = await ctx
        .http()
        .get('/problems/token_signature_invalid')
        .set('Accept', 'text/html');
      expect(res.text).toContain('&#34;your-256-bit-secret&#34;');
    });

    it('answers an unknown code with a 404 problem', async () => {
      expectProblem(await ctx.http().get('/problems/no_such_code'), {
        status: 404,
        code: 'not_found',
      });
      expectProblem(await ctx.http().get('/problems/__proto__'), {
        status: 404,
        code: 'not_found',
      });
    });

    it('answers a broken percent-escape with 400, not 500', async () => {
      expectProblem(await ctx.http().get('/problems/%E0%A4%A'), {
        status: 400,
        code: 'bad_request',
      });
    });
  });
});
