import request from 'supertest';
import { createCorsDemoApp } from '../src/cors-demo';
import { problemCatalog } from '../src/scenarios/catalog';
import { defaultScenarios, type Scenario } from '../src/scenarios';

const scenarios = defaultScenarios();

/**
 * What the registry teaches must be what the standards say: texts and citations a standards
 * reviewer would sign. Each test here pins one correction, so it cannot quietly come back.
 */

const labels = (s: { rfc: { label: string }[] }) => s.rfc.map((r) => r.label);
const byId = (id: string): Scenario => {
  const found = scenarios.find((s) => s.id === id);
  if (!found) throw new Error(`no scenario ${id}`);
  return found;
};

describe('the texts', () => {
  it('teach step-up as a new authorization request (RFC 9470 §4), never the password grant', () => {
    const step = problemCatalog.insufficient_user_authentication;
    expect(step.remedy).toMatch(/new authorization request/);
    expect(step.remedy).toMatch(/max_age/);
    expect(step.remedy).toMatch(/acr_values/);
    expect(step.remedy).toMatch(/RFC 9470 §4/);
    expect(step.remedy).not.toMatch(/sign in again \(password grant\)/i);
    expect(labels(step)).toEqual(expect.arrayContaining(['RFC 9470 §4', 'RFC 9700 §2.4']));
  });

  it('say that "Invalid Token" is the article’s gateway, and what OpenAI itself says', () => {
    for (const text of [
      problemCatalog.api_key_invalid.explanation,
      byId('openai-expired-token').explanation,
    ]) {
      expect(text).not.toMatch(/like OpenAI’s own API|as OpenAI’s does/i);
      expect(text).toMatch(/Incorrect API key provided/);
      // The gateway of the article, named and linked to where /sources quotes it.
      expect(text).toMatch(
        /gateway in \[“Invalid Token \(request id: …\)”\]\(\/sources#invalid-token\)/,
      );
    }
  });

  it('keep an unknown kid apart from a retired key', () => {
    expect(problemCatalog.token_kid_unknown.explanation).not.toMatch(/retired since/);
    expect(problemCatalog.token_kid_unknown.explanation).toMatch(/token_key_retired/);
  });

  it('cite RFC 6750 §3, where the rule is, for a request without credentials', () => {
    expect(labels(problemCatalog.token_missing)).not.toContain('RFC 6750 §3.1');
    expect(labels(problemCatalog.token_missing)).toContain('RFC 6750 §3');
    expect(problemCatalog.token_missing.explanation).toMatch(/RFC 6750 §3 /);
    expect(byId('openai-missing-key').explanation).not.toMatch(/RFC 6750 §3\.1/);
  });

  it('do not promise resource indicators the token endpoint does not read', () => {
    const audience = problemCatalog.token_audience_invalid;
    expect(audience.remedy).not.toMatch(/8707|resource indicator/);
    expect(labels(audience)).not.toContain('RFC 8707 §2');
  });
});

describe('the citations', () => {
  it('cite the Fetch Standard’s CORS protocol on every CORS scenario', () => {
    for (const s of scenarios.filter((x) => x.family === 'cors')) {
      expect({
        id: s.id,
        fetch: s.rfc.some((r) => r.label.startsWith('Fetch Standard §')),
      }).toEqual({ id: s.id, fetch: true });
    }
    const fetch = scenarios.flatMap((s) => s.rfc).filter((r) => r.label.startsWith('Fetch'));
    for (const r of fetch) expect(r.url).toMatch(/^https:\/\/fetch\.spec\.whatwg\.org\/#[a-z-]+$/);
  });

  it('cite RFC 6265bis wherever SameSite is taught, beside RFC 6265', () => {
    const teaching = scenarios.filter((s) => /SameSite/.test(s.explanation));
    expect(teaching.length).toBeGreaterThan(1);
    for (const s of teaching) {
      expect({ id: s.id, refs: labels(s).filter((l) => /^RFC 6265/.test(l)).length > 1 }).toEqual({
        id: s.id,
        refs: true,
      });
      expect(labels(s).some((l) => l.startsWith('RFC 6265bis §'))).toBe(true);
    }
  });

  it('cite the CORS credentials rules, not cookie security, for a wildcard with credentials', () => {
    const wildcard = byId('cors-broken-wildcard-credentials');
    expect(labels(wildcard)).not.toContain('RFC 6265 §8.2');
    expect(labels(wildcard)).toContain('Fetch Standard §3.2.5');
  });

  it('define a site on the demo page as scheme plus registrable domain', async () => {
    const app = createCorsDemoApp({
      apiBase: 'http://127.0.0.1:3000',
      origins: ['http://127.0.0.1:3001'],
      user: { username: 'my_username', password: 'my_password' },
      tokens: async () => ({}),
    });
    const page = (await request(app).get('/').expect(200)).text;
    expect(page).toMatch(/registrable domain/);
    expect(page).not.toMatch(/a <em>site<\/em> is scheme and host/);
  });
});
