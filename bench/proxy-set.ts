/**
 * The proxies under test (the bare passthrough and the sidecars) as bench targets, and their
 * restart between repetitions. A target object lives for the whole run (its `sent` count adds up
 * over every process that served it); `restart` stops each proxy (SIGTERM: a sidecar flushes its
 * ledger) and starts a fresh one in its place (`--fresh-processes`), so each repetition measures
 * new processes and a median over repetitions is a median over processes (docs/benchmarks.md).
 */
import { join } from 'node:path';
import type { BenchOptions } from './options.js';
import { type BenchProcess, spawnPinned } from './procs.js';
import type { TargetName } from './results.js';
import { INCREMENTAL_FEATURE, startBenchSidecar } from './sidecar.js';

export interface Target {
  name: TargetName;
  origin: string;
  /** Origin whose upstream is the slow (incremental) mock, and headers that select it. */
  slowOrigin: string;
  slowHeaders: Record<string, string>;
  proc?: BenchProcess;
  /** Successful calls sent (all phases, all processes), for the ledger check. */
  sent: number;
}

export interface ProxySetOptions {
  o: BenchOptions;
  root: string;
  work: string;
  proxyCore: number | null;
  mockUrl: string;
  slowUrl: string;
  otlpUrl: string;
  /** The ClickHouse server for `sidecar-ch` (none: no such target). */
  clickhouseUrl?: string | undefined;
  /** The discarding endpoint for `sidecar-chd` (none: no such target). */
  discardUrl?: string | undefined;
  profDir?: string | undefined;
  log: (msg: string) => void;
}

type Start = (t: Target) => Promise<BenchProcess[]>;

export class ProxySet {
  readonly targets: Target[] = [];
  /** Processes to stop at a restart or at the end, per target. */
  readonly #procs = new Map<Target, BenchProcess[]>();
  readonly #start = new Map<Target, Start>();

  private constructor(private readonly opts: ProxySetOptions) {}

  static async start(opts: ProxySetOptions): Promise<ProxySet> {
    const set = new ProxySet(opts);
    set.targets.push({ name: 'direct', origin: opts.mockUrl, slowOrigin: opts.slowUrl, slowHeaders: {}, sent: 0 });
    await set.#add('bare', set.#startBare);
    await set.#add('sidecar', set.#startSidecar(null));
    if (opts.clickhouseUrl) await set.#add('sidecar-ch', set.#startSidecar(opts.clickhouseUrl, true));
    if (opts.discardUrl) await set.#add('sidecar-chd', set.#startSidecar(opts.discardUrl, false));
    return set;
  }

  /** Every running proxy process (for cleanup on failure). */
  get processes(): BenchProcess[] {
    return [...this.#procs.values()].flat();
  }

  /** Stops every proxy gracefully and starts a fresh one in its place; notes a non-zero exit. */
  async restart(notes: string[]): Promise<void> {
    for (const [t, start] of this.#start) {
      await this.#stopOne(t, notes);
      this.#procs.set(t, await start(t));
    }
  }

  /** Stops every proxy gracefully (SIGTERM flushes a sidecar's ledger and writes its CPU profile). */
  async stop(notes: string[]): Promise<void> {
    for (const t of this.#start.keys()) await this.#stopOne(t, notes);
  }

  async #stopOne(t: Target, notes: string[]): Promise<void> {
    for (const p of this.#procs.get(t) ?? []) {
      const code = await p.stop(30_000);
      if (code !== 0) notes.push(`${p.name} exited with code ${code} on SIGTERM.`);
    }
    this.#procs.set(t, []);
  }

  async #add(name: TargetName, start: Start): Promise<void> {
    const t: Target = { name, origin: '', slowOrigin: '', slowHeaders: {}, sent: 0 };
    this.#start.set(t, start);
    this.#procs.set(t, await start(t));
    this.targets.push(t);
  }

  #startBare: Start = async (t) => {
    const bare = (name: string, upstream: string) =>
      spawnPinned({
        name,
        core: this.opts.proxyCore,
        command: process.execPath,
        args: ['--import', 'tsx', join(this.opts.root, 'bench/bare-proxy.ts'), '--upstream', upstream],
        isReady: (l) => l.msg === 'bare proxy listening',
      });
    this.opts.log(`bare passthrough (core ${this.opts.proxyCore ?? 'any'})`);
    const fast = await bare('bare', this.opts.mockUrl);
    const slow = await bare('bare-slow', this.opts.slowUrl);
    t.origin = String(fast.ready.api);
    t.slowOrigin = String(slow.ready.api);
    t.proc = fast;
    return [fast, slow];
  };

  /** A sidecar serves the slow upstream through its incremental feature, on the same origin. */
  #startSidecar =
    (clickhouseUrl: string | null, clickhouseMigrate = true): Start =>
    async (t) => {
      const { o, work, proxyCore, log } = this.opts;
      log(`${t.name} (core ${proxyCore ?? 'any'})`);
      const s = await startBenchSidecar({
        name: t.name,
        buildDir: o.buildDir,
        workDir: join(work, t.name),
        core: proxyCore,
        mockUrl: this.opts.mockUrl,
        slowUrl: this.opts.slowUrl,
        otlpUrl: this.opts.otlpUrl,
        clickhouseUrl,
        clickhouseMigrate,
        spoolDir: join(work, t.name, 'spool'),
        metricIntervalMs: 5000,
        ...(this.opts.profDir ? { cpuProfDir: this.opts.profDir } : {}),
      });
      t.origin = s.origin;
      t.slowOrigin = s.origin;
      t.slowHeaders = { 'x-switchyard-feature': INCREMENTAL_FEATURE };
      t.proc = s.proc;
      return [s.proc];
    };
}
