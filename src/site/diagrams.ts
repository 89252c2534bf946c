import { STATUS_CODES } from 'node:http';
import type { ProblemCode } from '../scenarios/catalog';
import { defaultScenarios } from '../scenarios';
import type { Family, HttpMethod, Scenario } from '../scenarios/types';
import { DIAGRAMS, type AskStep, type DiagramSpec } from './diagram-data';
import type { Html } from './html';
import { html } from './html';
import { statusClass } from './shared/status-class';

/**
 * Sequence diagrams as inline SVG, drawn on the server from ./diagram-data.ts and the registry:
 * no script, no inline style (site.css styles the classes), so helmet's strict CSP holds. Each
 * diagram is a <figure> with the SVG (role="img", <title>, <desc>) in a container that scrolls
 * sideways on a narrow screen, and the same steps as an ordered list of text.
 */

/** One arrow: a request, its answer, or a message that is not HTTP. */
export interface Arrow {
  kind: 'request' | 'response' | 'message';
  from: number;
  to: number;
  /** The label, one entry per line before wrapping; the first is the method and path, or status. */
  lines: string[];
  method?: HttpMethod;
  path?: string;
  status?: number;
  code?: ProblemCode;
  /** The registry scenario the arrow comes from. */
  scenario?: string;
}

export interface Note {
  kind: 'note';
  lines: string[];
}

export type Row = Arrow | Note;

export interface Diagram {
  spec: DiagramSpec;
  rows: Row[];
}

// --- Resolving a diagram against the registry --------------------------------------------------

/** The value of a parameter in the first challenge of a WWW-Authenticate value, as sent. */
export function challengeParam(challenge: string, name: string): string | undefined {
  const at = new RegExp(`(?:^\\S+\\s+|,\\s*)${name}=("(?:[^"\\\\]|\\\\.)*"|[^,\\s]+)`, 'i');
  return at.exec(challenge)?.[1];
}

/** `access-control-allow-origin` → `Access-Control-Allow-Origin`. */
function headerName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

function findScenario(registry: Scenario[], id: string, diagram: string): Scenario {
  const s = registry.find((x) => x.id === id);
  if (!s) throw new Error(`diagram ${diagram}: no scenario ${id} in the registry`);
  return s;
}

function answerLines(s: Scenario, step: AskStep, diagram: string): string[] {
  const { status, code, challenge } = s.expect;
  const lines = [`${status} ${code ?? STATUS_CODES[status] ?? ''}`.trim()];
  if (challenge && step.params?.length === 0) {
    // A challenge without auth-params (Negotiate, NTLM, an NTLM token): shown whole.
    lines.push(`WWW-Authenticate: ${challenge}`);
  } else if (challenge) {
    const scheme = challenge.split(' ')[0] ?? '';
    const params = (step.params ?? ['realm']).map((name) => {
      const value = challengeParam(challenge, name);
      if (value === undefined) {
        throw new Error(`diagram ${diagram}: ${s.id}'s challenge has no ${name}`);
      }
      return `${name}=${value}`;
    });
    lines.push(`WWW-Authenticate: ${scheme} ${params.join(', ')}`);
  }
  for (const name of step.headers ?? []) {
    const entry = Object.entries(s.expect.headers ?? {}).find(
      ([k]) => k.toLowerCase() === name.toLowerCase(),
    );
    if (!entry) throw new Error(`diagram ${diagram}: ${s.id} expects no header ${name}`);
    lines.push(`${headerName(entry[0])}: ${entry[1]}`);
  }
  if (step.say) lines.push(step.say);
  return lines;
}

function rowsOf(spec: DiagramSpec, registry: Scenario[]): Row[] {
  return spec.steps.flatMap((step): Row[] => {
    if ('note' in step) return [{ kind: 'note', lines: [step.note] }];
    if ('message' in step) {
      return [{ kind: 'message', from: step.from, to: step.to, lines: [step.message] }];
    }
    const from = step.from ?? 0;
    const to = step.to ?? 1;
    if ('http' in step) {
      const { method, path, status } = step.http;
      return [
        { kind: 'request', from, to, method, path, lines: [`${method} ${path}`, step.send ?? ''] },
        {
          kind: 'response',
          from: to,
          to: from,
          status,
          lines: [`${status} ${STATUS_CODES[status] ?? ''}`.trim(), step.say ?? ''],
        },
      ];
    }
    const s = findScenario(registry, step.ask, spec.id);
    const { method, path } = s.trigger;
    return [
      {
        kind: 'request',
        from,
        to,
        method,
        path,
        scenario: s.id,
        lines: [`${method} ${path}`, step.send ?? ''],
      },
      {
        kind: 'response',
        from: to,
        to: from,
        status: s.expect.status,
        code: s.expect.code,
        scenario: s.id,
        lines: answerLines(s, step, spec.id),
      },
    ];
  });
}

const resolved = new WeakMap<Scenario[], Diagram[]>();

/**
 * Every diagram, its steps taken from `registry` (the registry of this configuration); `specs`
 * for tests. Resolved once per registry.
 */
export function diagramsOf(
  registry: Scenario[] = defaultScenarios(),
  specs: readonly DiagramSpec[] = DIAGRAMS,
): Diagram[] {
  const cached = specs === DIAGRAMS ? resolved.get(registry) : undefined;
  if (cached) return cached;
  const list = specs.map((spec) => ({
    spec,
    rows: rowsOf(spec, registry).map((r) => ({ ...r, lines: r.lines.filter(Boolean) })),
  }));
  if (specs === DIAGRAMS) resolved.set(registry, list);
  return list;
}

// --- Drawing -----------------------------------------------------------------------------------

const WIDTH = 640;
const MARGIN = 80;
/** Label text: 12 px monospace, about 7.2 px a character. */
const CHAR = 7.2;
const LINE = 15;
const HEAD = 30;

function laneX(lanes: number, i: number): number {
  return lanes === 1 ? WIDTH / 2 : MARGIN + (i * (WIDTH - 2 * MARGIN)) / (lanes - 1);
}

/**
 * Greedy word wrap at `max` characters. A quoted string (a challenge parameter's value) stays on
 * one line when it fits one; a word longer than a line is cut.
 */
export function wrap(text: string, max: number): string[] {
  const words = (text.match(/(?:[^\s"]+|"[^"]*"?)+/g) ?? []).flatMap((w) =>
    w.length > max ? w.split(' ') : [w],
  );
  const out: string[] = [];
  let line = '';
  for (let word of words) {
    while (word.length > max) {
      if (line) out.push(line);
      line = '';
      out.push(word.slice(0, max));
      word = word.slice(max);
    }
    if (!line) line = word;
    else if (line.length + 1 + word.length <= max) line += ` ${word}`;
    else {
      out.push(line);
      line = word;
    }
  }
  if (line) out.push(line);
  return out;
}

function textLines(lines: string[], x: number, y: number, cls: string): Html {
  return html`${lines.map(
    (l, i) =>
      html`<text class="${cls}" x="${x}" y="${y + i * LINE}" text-anchor="middle">${l}</text>`,
  )}`;
}

/** A step's line in the text alternative. */
function stepText(d: Diagram, row: Row): string {
  if (row.kind === 'note') return row.lines.join(' ');
  const p = d.spec.participants;
  return `${p[row.from] ?? ''} → ${p[row.to] ?? ''}: ${row.lines.join('; ')}`;
}

/** The SVG of one diagram. */
export function diagramSvg(d: Diagram): Html {
  const { spec } = d;
  const lanes = spec.participants.length;
  const parts: Html[] = [];
  let y = 8 + HEAD + 22;
  let n = 0;
  for (const row of d.rows) {
    if (row.kind === 'note') {
      const lines = wrap(row.lines.join(' '), Math.floor((WIDTH - 40) / CHAR));
      const h = lines.length * LINE + 10;
      parts.push(
        html`<rect
          class="dg-note"
          x="16"
          y="${y - 12}"
          width="${WIDTH - 32}"
          height="${h}"
          rx="4"
        />`,
        textLines(lines, WIDTH / 2, y + 3, 'dg-note-text'),
      );
      y += h + 12;
      continue;
    }
    n += 1;
    const x1 = laneX(lanes, row.from);
    const x2 = laneX(lanes, row.to);
    const max = Math.floor((Math.abs(x2 - x1) - 12) / CHAR);
    const [first = '', ...rest] = row.lines;
    const lines = [...wrap(`${n}. ${first}`, max), ...rest.flatMap((l) => wrap(l, max))];
    const mid = (x1 + x2) / 2;
    const status = row.kind === 'response' && row.status ? statusClass(row.status) : '';
    parts.push(textLines(lines, mid, y, `dg-label ${row.kind === 'response' ? 'dg-answer' : ''}`));
    y += (lines.length - 1) * LINE + 8;
    const dir = x2 > x1 ? 1 : -1;
    const tip = x2 - dir * 2;
    parts.push(
      html`<line
        class="dg-arrow dg-${row.kind} ${status}"
        x1="${x1}"
        y1="${y}"
        x2="${tip}"
        y2="${y}"
      />`,
      html`<polygon
        class="dg-head dg-${row.kind} ${status}"
        points="${tip},${y} ${tip - dir * 9},${y - 5} ${tip - dir * 9},${y + 5}"
      />`,
    );
    y += 26;
  }
  const height = y;
  const head = spec.participants.map((p, i) => {
    const x = laneX(lanes, i);
    const w = Math.min(150, p.length * CHAR + 20);
    return html`<line class="dg-lifeline" x1="${x}" y1="${8 + HEAD}" x2="${x}" y2="${height - 8}" />
      <rect class="dg-lane" x="${x - w / 2}" y="8" width="${w}" height="${HEAD}" rx="4" />
      <text class="dg-lane-text" x="${x}" y="${8 + HEAD / 2 + 4}" text-anchor="middle">${p}</text>`;
  });
  const id = `dg-${spec.id}`;
  return html`<svg
    xmlns="http://www.w3.org/2000/svg"
    class="dg"
    viewBox="0 0 ${WIDTH} ${height}"
    width="${WIDTH}"
    height="${height}"
    role="img"
    aria-labelledby="${id}-title"
    aria-describedby="${id}-desc"
  >
    <title id="${id}-title">${spec.title}</title>
    <desc id="${id}-desc">${spec.summary} ${d.rows.map((r) => stepText(d, r)).join('. ')}</desc>
    ${head} ${parts}
  </svg>`;
}

/** One diagram as a figure: caption, the SVG in its scrolling frame, the steps as text. */
export function diagramFigure(d: Diagram): Html {
  const { spec } = d;
  return html`<figure class="diagram" id="diagram-${spec.id}" data-family="${spec.family}">
    <figcaption><strong>${spec.title}.</strong> ${spec.summary}</figcaption>
    <div class="diagram-frame" tabindex="0" role="group" aria-label="${spec.title}, as a diagram">
      ${diagramSvg(d)}
    </div>
    <details class="diagram-text">
      <summary>The steps as text</summary>
      <ol>
        ${d.rows.map((r) => html`<li class="${r.kind === 'note' ? 'note' : ''}">${stepText(d, r)}</li>`)}
      </ol>
    </details>
  </figure>`;
}

/** Figures in a grid; nothing at all for none. */
function figures(list: Diagram[]): Html {
  return list.length === 0 ? html`` : html`<div class="diagrams">${list.map(diagramFigure)}</div>`;
}

/** The diagrams of a family, as figures (empty when it has none). */
export function diagramForFamily(family: Family, registry?: Scenario[]): Html {
  return figures(diagramsOf(registry).filter((d) => d.spec.family === family));
}

/** The diagrams in which `code` is an answer, as figures (empty when none shows it). */
export function diagramForProblem(code: ProblemCode, registry?: Scenario[]): Html {
  return figures(
    diagramsOf(registry).filter((d) =>
      d.rows.some((r) => r.kind === 'response' && r.code === code),
    ),
  );
}
