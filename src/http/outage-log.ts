import type { Logger } from 'pino';

/** Counts store failures and logs them as one line a second. */
export interface StoreFailureLog {
  /** One request (or background write) failed because the store did not answer. */
  note(code: string, err: unknown): void;
}

const logs = new WeakMap<Logger, StoreFailureLog>();

/**
 * The log of store failures for a logger (one per logger, shared by whoever notes failures).
 * During an outage every request fails the same way: a line with a stack trace per request
 * filled a disk (96 MB in a 40 s outage). So the first failure after a quiet second is logged at
 * once, the following ones are counted and logged once a second with their count, and no line
 * carries a stack: the cause is the same each time, and its message names it.
 */
export function storeFailureLog(logger: Logger, intervalMs = 1000): StoreFailureLog {
  let log = logs.get(logger);
  if (log === undefined) {
    log = new Summary(logger, intervalMs);
    logs.set(logger, log);
  }
  return log;
}

class Summary implements StoreFailureLog {
  private readonly counts = new Map<string, { failures: number; error: string }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  note(code: string, err: unknown): void {
    const error = err instanceof Error ? err.message : String(err);
    if (this.timer === undefined) {
      this.logger.error({ code, failures: 1, error }, 'store failure: answering 503');
      this.schedule();
      return;
    }
    const count = this.counts.get(code);
    if (count === undefined) this.counts.set(code, { failures: 1, error });
    else {
      count.failures += 1;
      count.error = error;
    }
  }

  private schedule(): void {
    // Never keeps the process alive: a shutdown does not wait for the last summary.
    this.timer = setTimeout(() => this.flush(), this.intervalMs).unref();
  }

  private flush(): void {
    this.timer = undefined;
    if (this.counts.size === 0) return;
    for (const [code, { failures, error }] of this.counts) {
      this.logger.error(
        { code, failures, intervalMs: this.intervalMs, error },
        `store failure: ${failures} more answered 503 in the last ${this.intervalMs / 1000} s`,
      );
    }
    this.counts.clear();
    // Still failing: keep summarising once a second until a quiet second passes.
    this.schedule();
  }
}
