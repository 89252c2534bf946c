import { problemCatalog } from '../../src/scenarios/catalog';
import { defaultScenarios } from '../../src/scenarios';
import { buildApp, expectProblem } from '../helpers';

const scenarios = defaultScenarios();

const BROWSER = 'text/html,application/xhtml+xml,*/*;q=0.8';

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
      // The revoked jti, the two used refresh tokens, the two expired sessions, the replayed
      // DPoP proof's jti.
      expect(set).toHaveBeenCalledTimes(6);
      set.mockRestore();
    });

    it('marks the triggers whose tokens sit a second from the clock leeway, or carry a DPoP proof, and only those', async () => {
      const res = await ctx.http().get('/scenarios');
      const marked = res.body.scenarios
        .filter((s: { trigger: { minted_each_second?: boolean } }) => s.trigger.minted_each_second)
        .map((s: { id: string }) => s.id)
        .sort();
      const skewed = scenarios
        .filter((s) => /_tolerance\}\}|\{\{token:dpop_proof/.test(JSON.stringify(s.trigger)))
        .map((s) => s.id)
        .sort();
      expect(skewed.length).toBeGreaterThanOrEqual(6);
      expect(marked).toEqual(skewed);
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
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers.vary).toMatch(/\bAccept\b/);
      expect(res.body.problems.map((p: { code: string }) => p.code)).toEqual(
        Object.keys(problemCatalog),
      );
    });

    it('renders an index for a browser: every code, linked, grouped by status with 401 first', async () => {
      const res = await ctx.http().get('/problems').set('Accept', BROWSER);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers.vary).toMatch(/\bAccept\b/);
      for (const code of Object.keys(problemCatalog)) {
        expect(res.text).toContain(`<a href="/problems/${code}"><code>${code}</code></a>`);
      }
      const groups = [...res.text.matchAll(/<section class="problem-group" id="status-(\d+)"/g)];
      expect(groups[0]?.[1]).toBe('401');
      expect(res.text).not.toContain('<script');
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

    describe('for a browser, on a server at its configured PUBLIC_URL', () => {
      const configured = buildApp({ env: { PUBLIC_URL: 'https://api.four-oh-one.example' } });
      const page = () => configured.http().get('/problems/token_expired').set('Accept', BROWSER);

      it('shows an example answer: status line, the challenge on the configured origin, the body', async () => {
        const res = await page();
        const example =
          /<pre class="wire" id="example-response"><code>([\s\S]*?)<\/code><\/pre>/.exec(
            res.text,
          )?.[1];
        expect(example).toMatch(
          /^HTTP\/1\.1 401 Unauthorized\nContent-Type: application\/problem\+json\n/,
        );
        expect(example).toContain(
          '<strong class="challenge">WWW-Authenticate: Bearer realm=&#34;four-oh-one&#34;, error=&#34;invalid_token&#34;, error_description=&#34;Access token expired&#34;, resource_metadata=&#34;https://api.four-oh-one.example/.well-known/oauth-protected-resource&#34;, DPoP algs=&#34;ES256 EdDSA PS256 RS256&#34;</strong>',
        );
        expect(example).toContain('&#34;code&#34;: &#34;token_expired&#34;');
        expect(example).toContain('&#34;type&#34;: &#34;/problems/token_expired&#34;');
      });

      it('fills every placeholder: live specimen tokens, the configured origin, never the default', async () => {
        const res = await page();
        const specimens = await configured.specimens.get();
        expect(res.text).not.toMatch(/\{\{/);
        expect(res.text).toContain(`Authorization: Bearer ${specimens.expired}`);
        expect(res.text).toContain(
          `curl -i &#39;https://api.four-oh-one.example/api/v1/data&#39; -H &#39;Authorization: Bearer ${specimens.expired}&#39;`,
        );
        expect(res.text).not.toContain('127.0.0.1:3000');
        expect(res.headers['cache-control']).toBe('no-store');
      });

      it('links each scenario that produces it to the playground, and says the remedy', async () => {
        const res = await page();
        expect(res.text).toMatch(/<a\s+class="run-link"\s+href="\/playground#token-expired"\s*>/);
        expect(res.text).toContain(
          `<p class="remedy">${problemCatalog.token_expired.remedy.replace(/'/g, '&#39;')}</p>`,
        );
      });

      it('draws the exchange in which the code is an answer', async () => {
        const res = await page();
        expect(res.text).toContain('<h2>The exchange</h2>');
        expect(res.text).toMatch(/<figure class="diagram" id="diagram-[\w-]+"/);
      });

      it('fills the specimens in the JSON documentation too', async () => {
        const res = await configured.http().get('/problems/token_expired');
        const specimens = await configured.specimens.get();
        expect(JSON.stringify(res.body)).not.toMatch(/\{\{/);
        expect(res.body.scenarios[0].trigger.headers.Authorization).toBe(
          `Bearer ${specimens.expired}`,
        );
      });

      it('renders the registry’s links to the Sources page as links', async () => {
        const res = await configured
          .http()
          .get('/problems/role_insufficient')
          .set('Accept', BROWSER);
        expect(res.text).toMatch(/<a href="\/sources#[\w-]+">/);
        expect(res.text).not.toMatch(/\]\(\/sources/);
      });
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
