/**
 * The bench's ClickHouse server runs on the load core, beside the load generator. Left running, it
 * goes on merging the parts a `sidecar-ch` cell wrote well into the cells after it, and takes the
 * load core from them: in a 20:39 run the `sidecar-chd` cell at non-stream c = 64 (ClickHouse "on a
 * host of its own") found the server using 24–44 µs of load-core CPU per request, and read 0.71
 * where its proxy core was only 80 % busy. So the server only runs while its own sidecar is
 * measured: before any other target's cell it is stopped (SIGSTOP, once that sidecar's sink has
 * nothing queued or in flight, so no insert waits on a stopped server), and continued (SIGCONT)
 * before the `sidecar-ch` cells and before anything else talks to it.
 */
export interface ClickHouseGateOptions {
  /** The ClickHouse server's process. */
  pid: number;
  /** The `sidecar-ch` sidecar's health origin (`/healthz` reports its sink's queue); a fresh process has a new one. */
  healthOrigin: () => string;
  log: (msg: string) => void;
  /**
   * Wait at least this long before looking at the queue (default 1500 ms): the sink's ledger takes
   * the spans the OTLP batcher still holds only every `max_delay_ms` (default 1000).
   */
  quietMs?: number;
  /** How long to wait for the sink to drain before stopping the server anyway (default 20 s). */
  drainTimeoutMs?: number;
}

export class ClickHouseGate {
  #stopped = false;
  /** Times the server was stopped, and how many of those found the sink still busy at the deadline. */
  pauses = 0;
  undrained = 0;

  constructor(private readonly o: ClickHouseGateOptions) {}

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Runs the server for the `sidecar-ch` target, stops it for any other. */
  async forTarget(name: string): Promise<void> {
    if (name === 'sidecar-ch') this.open();
    else await this.close();
  }

  /** Continues the server (a no-op when it runs, or when it is gone: what reads it then fails on its own). */
  open(): void {
    if (!this.#stopped) return;
    try {
      process.kill(this.o.pid, 'SIGCONT');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
    this.#stopped = false;
  }

  /** Waits until the `sidecar-ch` sink has nothing queued or in flight, then stops the server. */
  async close(): Promise<void> {
    if (this.#stopped) return;
    await new Promise((r) => setTimeout(r, this.o.quietMs ?? 1500));
    const deadline = Date.now() + (this.o.drainTimeoutMs ?? 20_000);
    let queued = await this.#queued();
    while (queued !== 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      queued = await this.#queued();
    }
    if (queued !== 0) {
      this.undrained++;
      this.o.log(
        `ClickHouse gate: ${queued === null ? 'the sidecar-ch health port did not say' : `the sidecar-ch sink still reports ${queued} queued rows`}; stopping the server anyway`,
      );
    }
    process.kill(this.o.pid, 'SIGSTOP');
    this.#stopped = true;
    this.pauses++;
  }

  /** Rows the `sidecar-ch` sink holds (queued, or in an insert), or null if its health says nothing. */
  async #queued(): Promise<number | null> {
    try {
      const res = await fetch(`${this.o.healthOrigin()}/healthz`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as { sinks?: { name?: string; queued?: number }[] };
      const sink = body.sinks?.find((s) => s.name === 'clickhouse');
      return typeof sink?.queued === 'number' ? sink.queued : null;
    } catch {
      return null;
    }
  }
}
