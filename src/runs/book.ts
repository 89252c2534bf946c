import { randomBytes } from 'node:crypto';
import { problem } from '../http/problems';
import type { VisitorTag } from '../http/visitors';
import type { Clock, Store } from '../store';
import type { RunRecord } from './record';
import { scriptNamed, type Script, type StepOn } from './scripts';

/** How long a run lives from its opening: a test suite's length, with room to read the report. */
export const RUN_TTL_MS = 30 * 60 * 1000;
/** The most requests a run records; later ones are served, not recorded (the report says so). */
export const RUN_MAX_REQUESTS = 200;
/** The most runs a visitor may open per RUN_TTL_MS (a fixed window). */
export const RUNS_PER_VISITOR = 5;

/** A run id: 16 random base64url characters, a dot, and its end in base-36 seconds. */
const RUN_ID = /^([A-Za-z0-9_-]{16})\.([0-9a-z]{1,9})$/;
export const isRunId = (value: string) => RUN_ID.test(value);

/** What the store keeps of a run itself. */
export interface Run {
  id: string;
  script: Script;
  openedAt: number;
  expiresAt: number;
}

interface StoredRun {
  script: string;
  opened: number;
  expires: number;
}

/**
 * Runs and their recorded requests, in the store, per visitor: a run is found only by the
 * visitor that opened it, every entry is charged to that visitor and ends with the run. A
 * visitor opens at most RUNS_PER_VISITOR runs per window, each records at most
 * RUN_MAX_REQUESTS requests of a few hundred bytes: at most ~350 kB per visitor, inside its quota.
 */
export class RunBook {
  /** The latest request number seen per run in this process (bounded): see RunRecord.last_arrived. */
  private readonly arrived = new Map<string, number>();

  constructor(
    private readonly deps: {
      store: Store;
      clock: Clock;
      /** Runs a visitor may open per RUN_TTL_MS (RUNS_PER_ADDRESS); RUNS_PER_VISITOR unless told. */
      perVisitor?: number;
    },
  ) {}

  private key(visitor: VisitorTag, id: string, part = ''): string {
    return `run:${visitor}:${id}${part}`;
  }

  /** What remains of a run's life, for the TTL of the entries it writes (never past its end). */
  private ttl(run: Run): number {
    return Math.max(1, run.expiresAt - this.deps.clock.now());
  }

  /** Opens a run for a script; 429 run_limit_reached past the visitor's runs per window. */
  async open(visitor: VisitorTag, script: Script): Promise<Run> {
    const now = this.deps.clock.now();
    const opened = await this.deps.store.increment(`runs:${visitor}`, RUN_TTL_MS, visitor);
    const limit = this.deps.perVisitor ?? RUNS_PER_VISITOR;
    if (opened > limit) {
      throw problem('run_limit_reached', {
        detail: `This address opened ${limit} runs in the last ${RUN_TTL_MS / 60_000} minutes, the most it may; runs end ${RUN_TTL_MS / 60_000} minutes after they open.`,
        headers: { 'Retry-After': String(RUN_TTL_MS / 1000) },
      });
    }
    const expiresAt = now + RUN_TTL_MS;
    const id = `${randomBytes(12).toString('base64url')}.${Math.ceil(expiresAt / 1000).toString(36)}`;
    const stored: StoredRun = { script: script.name, opened: now, expires: expiresAt };
    await this.deps.store.set(this.key(visitor, id), JSON.stringify(stored), RUN_TTL_MS, visitor);
    return { id, script, openedAt: now, expiresAt };
  }

  /** The run of this visitor with this id, or 404 run_not_found / run_expired. */
  async find(visitor: VisitorTag, id: string): Promise<Run> {
    const match = RUN_ID.exec(id);
    const stored = match ? await this.deps.store.get(this.key(visitor, id)) : undefined;
    const run = stored === undefined ? undefined : parseRun(id, stored);
    if (run) return run;
    const end = match ? parseInt(match[2]!, 36) * 1000 : NaN;
    if (Number.isFinite(end) && end <= this.deps.clock.now()) {
      throw problem('run_expired', {
        detail: `Run ${id} ended at ${new Date(end).toISOString()}; its records are gone. Open a new run with POST /runs.`,
      });
    }
    throw problem('run_not_found', {
      detail:
        'No open run has this id for this address: runs are found only from the address that opened them. Open one with POST /runs.',
    });
  }

  /** Numbers a request of the run as it arrives (from 1). */
  async arrive(visitor: VisitorTag, run: Run): Promise<number> {
    const n = await this.deps.store.increment(
      this.key(visitor, run.id, ':n'),
      this.ttl(run),
      visitor,
    );
    const key = `${visitor}:${run.id}`;
    if ((this.arrived.get(key) ?? 0) < n) {
      this.arrived.delete(key);
      if (this.arrived.size >= 1024)
        this.arrived.delete(this.arrived.keys().next().value as string);
      this.arrived.set(key, n);
    }
    return n;
  }

  /** The latest request number this process saw arrive in the run. */
  latest(visitor: VisitorTag, run: Run, atLeast: number): number {
    return Math.max(atLeast, this.arrived.get(`${visitor}:${run.id}`) ?? 0);
  }

  /** Keeps a request's record (past RUN_MAX_REQUESTS, nothing). */
  async record(visitor: VisitorTag, run: Run, record: RunRecord): Promise<void> {
    if (record.n > RUN_MAX_REQUESTS) return;
    const key = this.key(visitor, run.id, `:r:${record.n}`);
    await this.deps.store.set(key, JSON.stringify(record), this.ttl(run), visitor);
  }

  /** The run's records in request order, and how many requests arrived (recorded or not). */
  async records(visitor: VisitorTag, run: Run): Promise<{ records: RunRecord[]; arrived: number }> {
    const arrived = Number((await this.deps.store.get(this.key(visitor, run.id, ':n'))) ?? 0);
    const count = Math.min(arrived, RUN_MAX_REQUESTS);
    const keys = Array.from({ length: count }, (_, i) => this.key(visitor, run.id, `:r:${i + 1}`));
    const values = count === 0 ? [] : await this.deps.store.getMany(keys);
    const records = values.flatMap((v) => (v === undefined ? [] : [JSON.parse(v) as RunRecord]));
    return { records, arrived };
  }

  /** Counts the run's requests of one kind a script's steps count; the count, from 1. */
  nth(visitor: VisitorTag, run: Run, on: StepOn): Promise<number> {
    return this.deps.store.increment(this.key(visitor, run.id, `:k:${on}`), this.ttl(run), visitor);
  }

  /**
   * The ordinal of a credential among the first `slots` distinct ones the run saw on a resource
   * (1, 2, …), or undefined past them. Race-free: a slot is claimed with setIfAbsent, so
   * concurrent first uses of one token agree on its ordinal.
   */
  async ordinal(
    visitor: VisitorTag,
    run: Run,
    fingerprint: string,
    slots: number,
  ): Promise<number | undefined> {
    const keys = Array.from({ length: slots }, (_, i) => this.key(visitor, run.id, `:c:${i + 1}`));
    const held = await this.deps.store.getMany(keys);
    const found = held.indexOf(fingerprint);
    if (found >= 0) return found + 1;
    for (let i = held.findIndex((v) => v === undefined); i >= 0 && i < slots; i += 1) {
      if (await this.deps.store.setIfAbsent(keys[i]!, fingerprint, this.ttl(run), visitor))
        return i + 1;
      if ((await this.deps.store.get(keys[i]!)) === fingerprint) return i + 1;
    }
    return undefined;
  }

  /** Counts the uses of the run's `ordinal`-th credential; the count, from 1. */
  use(visitor: VisitorTag, run: Run, ordinal: number): Promise<number> {
    return this.deps.store.increment(
      this.key(visitor, run.id, `:u:${ordinal}`),
      this.ttl(run),
      visitor,
    );
  }
}

function parseRun(id: string, stored: string): Run | undefined {
  try {
    const value = JSON.parse(stored) as StoredRun;
    const script = scriptNamed(value.script);
    if (!script) return undefined;
    return { id, script, openedAt: value.opened, expiresAt: value.expires };
  } catch {
    return undefined;
  }
}
