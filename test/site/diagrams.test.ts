import { documentedPath } from '../../src/openapi';
import { ROUTES } from '../../src/openapi/table';
import { families, registryFor, defaultScenarios, type Family } from '../../src/scenarios';
import { DIAGRAMS, type DiagramSpec } from '../../src/site/diagram-data';
import {
  challengeParam,
  diagramFigure,
  diagramForFamily,
  diagramForProblem,
  diagramsOf,
  diagramSvg,
  wrap,
  type Arrow,
} from '../../src/site/diagrams';
import { escapeHtml } from '../../src/site/html';

const scenarios = defaultScenarios();

/**
 * The sequence diagrams are drawn from the registry: every answer arrow must carry its scenario's
 * real status, code and challenge parameters, and every arrow with no scenario a status the
 * route documents. The markup must be well-formed SVG whatever the labels hold.
 */

/** The text content of every <text> element, unescaped, in order. */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    (m[1] ?? '').replace(/&#(\d+);/g, (_x, n: string) => String.fromCharCode(Number(n))),
  );
}

/**
 * A well-formedness check of XML markup: every tag is closed in order, every attribute is quoted,
 * and text holds no raw `<` or `&` outside an entity. (Chromium parses them too, in
 * test/e2e/diagram-pages.test.ts.)
 */
function expectWellFormed(markup: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (const m of markup.matchAll(tag)) {
    const between = markup.slice(last, m.index);
    expect(between).not.toMatch(/<|&(?!#\d+;|[a-z]+;)/);
    last = (m.index ?? 0) + m[0].length;
    const [, closing, name = '', , selfClosing] = m;
    if (selfClosing) continue;
    if (closing) expect(stack.pop()).toBe(name);
    else stack.push(name);
  }
  expect(markup.slice(last)).not.toMatch(/<|&(?!#\d+;|[a-z]+;)/);
  expect(stack).toEqual([]);
}

const arrows = (rows: ReturnType<typeof diagramsOf>[number]['rows']): Arrow[] =>
  rows.filter((r): r is Arrow => r.kind !== 'note');

describe('the sequence diagrams', () => {
  describe.each(diagramsOf().map((d) => [d.spec.id, d] as const))('%s', (_id, d) => {
    it('answers each exchange as its registry scenario does: status, code, challenge', () => {
      for (const a of arrows(d.rows).filter((r) => r.kind === 'response' && r.scenario)) {
        const s = scenarios.find((x) => x.id === a.scenario);
        expect(s).toBeDefined();
        expect(a.status).toBe(s?.expect.status);
        expect(a.code).toBe(s?.expect.code);
        expect(a.lines[0]).toMatch(new RegExp(`^${a.status} ${a.code ?? '[A-Z]'}`));
        const challengeLine = a.lines.find((l) => l.startsWith('WWW-Authenticate: '));
        if (s?.expect.challenge) {
          // Each parameter shown is the challenge's own, word for word.
          const [scheme, ...params] = (challengeLine ?? '').slice(18).split(/ (?=[\w-]+=)/);
          // A challenge without parameters (Negotiate, NTLM) is shown whole.
          const whole = params.length === 0 && scheme === s.expect.challenge;
          expect(whole || s.expect.challenge.startsWith(`${scheme} `)).toBe(true);
          for (const p of params) expect(s.expect.challenge).toContain(p.replace(/,$/, ''));
        } else {
          expect(challengeLine).toBeUndefined();
        }
      }
    });

    it('sends each request as its registry scenario’s trigger does', () => {
      for (const a of arrows(d.rows).filter((r) => r.kind === 'request' && r.scenario)) {
        const s = scenarios.find((x) => x.id === a.scenario);
        expect(a.lines[0]).toBe(`${s?.trigger.method} ${s?.trigger.path}`);
      }
    });

    it('gives an exchange with no scenario a status its route documents', () => {
      const literal = arrows(d.rows).filter((r) => !r.scenario && r.kind !== 'message');
      for (let i = 0; i < literal.length; i += 2) {
        const [req, res] = [literal[i], literal[i + 1]];
        const route = ROUTES.find(
          (r) =>
            r.method === req?.method?.toLowerCase() && r.path === documentedPath(req?.path ?? ''),
        );
        expect(route?.success.map((x) => x.status)).toContain(res?.status);
      }
    });

    it('draws every status and code it labels, in <text> elements of well-formed SVG', () => {
      const svg = diagramSvg(d).value;
      expectWellFormed(svg);
      const texts = svgTexts(svg).join(' ');
      for (const a of arrows(d.rows)) {
        if (a.status !== undefined) expect(texts).toContain(`${a.status} ${a.code ?? ''}`.trim());
      }
      expect(svg).toContain('role="img"');
      expect(svg).toContain(
        `<title id="dg-${d.spec.id}-title">${escapeHtml(d.spec.title)}</title>`,
      );
      expect(svg).toMatch(new RegExp(`<desc id="dg-${d.spec.id}-desc">[^<]+</desc>`));
    });

    it('comes with the same steps as an ordered list of text', () => {
      const figure = diagramFigure(d).value;
      expectWellFormed(figure);
      expect(figure.match(/<li[ >]/g)).toHaveLength(d.rows.length);
      expect(figure).toContain('tabindex="0"');
    });
  });

  it('names only scenarios that exist, and ids that are unique', () => {
    const ids = DIAGRAMS.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const d of DIAGRAMS) {
      for (const step of d.steps) {
        if ('ask' in step) expect(scenarios.map((s) => s.id)).toContain(step.ask);
      }
    }
  });

  it.each(Object.keys(families) as Family[])('has at least one diagram for the %s family', (f) => {
    expect(diagramForFamily(f).value).toContain('<svg');
  });

  it('draws the six flows the learners asked for', () => {
    const codes = (id: string) =>
      arrows(diagramsOf().find((d) => d.spec.id === id)?.rows ?? []).map((a) =>
        a.status === undefined ? a.lines[0] : `${a.status} ${a.code ?? ''}`.trim(),
      );
    expect(codes('bearer-challenge')).toEqual([
      'GET /api/v1/data',
      '401 token_missing',
      'GET /api/v1/data',
      '200',
    ]);
    expect(codes('refresh-and-retry')).toEqual([
      'GET /api/v1/data',
      '401 token_expired',
      'POST /auth/token',
      '200',
      'GET /api/v1/data',
      '200',
    ]);
    expect(codes('cors-preflight')).toEqual([
      expect.stringContaining('fetch('),
      'OPTIONS /api/v1/data',
      '204',
      'GET /api/v1/data',
      '401 token_expired',
      expect.stringContaining('readable'),
    ]);
    expect(codes('digest-stale')).toContain('401 digest_nonce_stale');
    expect(diagramSvg(diagramsOf().find((d) => d.spec.id === 'digest-stale')!).value).toContain(
      'stale=true',
    );
    expect(codes('step-up')[1]).toBe('401 insufficient_user_authentication');
    expect(codes('session-idle')).toContain('401 session_idle_expired');
    expect(codes('session-absolute')).toContain('401 session_absolute_expired');
  });

  it('follows the configuration: a configured public URL and step-up max age show', () => {
    const registry = registryFor({
      publicUrl: 'https://api.example',
      origins: ['https://app.example'],
      cookieName: '__Host-four-oh-one.sid',
      stepUpMaxAgeSeconds: 60,
    });
    const stepUp = diagramForFamily('admin', registry).value;
    expect(stepUp).toContain('max_age=&#34;60&#34;');
    expect(diagramForFamily('cors', registry).value).toContain(
      'Access-Control-Allow-Origin: https://app.example',
    );
  });

  it('shows a problem’s diagrams on its page, and none for a code no diagram shows', () => {
    expect(diagramForProblem('token_expired').value).toContain('id="diagram-refresh-and-retry"');
    expect(diagramForProblem('insufficient_user_authentication').value).toContain(
      'id="diagram-step-up"',
    );
    expect(diagramForProblem('token_kid_unknown').value).toBe('');
  });

  it('refuses a diagram that names a scenario or a challenge parameter that does not exist', () => {
    const spec = (step: DiagramSpec['steps'][number]): DiagramSpec => ({
      id: 'broken',
      family: 'bearer',
      title: 't',
      summary: 's',
      participants: ['a', 'b'],
      steps: [step],
    });
    const render = (s: DiagramSpec) => () => diagramsOf(scenarios, [s]);
    expect(render(spec({ ask: 'no-such-scenario' }))).toThrow(/no scenario no-such-scenario/);
    expect(render(spec({ ask: 'token-expired', params: ['nonce'] }))).toThrow(/has no nonce/);
    expect(render(spec({ ask: 'bearer-valid', headers: ['x-nope'] }))).toThrow(/no header x-nope/);
  });

  it('escapes what its labels hold', () => {
    const [d] = diagramsOf(scenarios, [
      {
        id: 'x',
        family: 'bearer',
        title: '<script>&',
        summary: '"quoted" <b>',
        participants: ['<a>', 'b&c'],
        steps: [{ note: '</text><script>alert(1)</script>' }, { message: '<&>', from: 0, to: 1 }],
      },
    ]);
    const svg = diagramSvg(d!).value;
    expectWellFormed(svg);
    expect(svg).not.toContain('<script>');
    expect(svgTexts(svg)).toEqual(
      expect.arrayContaining(['<a>', 'b&c', '</text><script>alert(1)</script>', '1. <&>']),
    );
  });

  it('wraps a label at word boundaries, cutting only a word longer than a line', () => {
    expect(wrap('aa bb cc', 5)).toEqual(['aa bb', 'cc']);
    expect(wrap('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrap('a, b="x y z", c', 10)).toEqual(['a,', 'b="x y z",', 'c']);
    expect(wrap('b="x y z"', 6)).toEqual(['b="x y', 'z"']);
  });

  it('reads a challenge parameter as sent, quoted or bare', () => {
    const c = 'Digest realm="r, x", qop="auth", algorithm=SHA-256, stale=true';
    expect(challengeParam(c, 'realm')).toBe('"r, x"');
    expect(challengeParam(c, 'algorithm')).toBe('SHA-256');
    expect(challengeParam(c, 'stale')).toBe('true');
    expect(challengeParam(c, 'nonce')).toBeUndefined();
  });
});
