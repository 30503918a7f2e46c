import { resolve } from 'node:path';

/** Command-line options of `npm run bench` (see docs/benchmarks.md). */
export interface BenchOptions {
  quick: boolean;
  reps: number;
  warmupMs: number;
  durationMs: number;
  concurrency: number[];
  /** Incremental-stream probes per target. */
  probes: number;
  outDir: string;
  buildDir: string;
  clickhouse: boolean;
  /** Write V8 CPU profiles of the sidecars to `<outDir>/profiles`. */
  profile: boolean;
  proxyCore: number | null;
  loadCore: number | null;
  /** Pause between cells, so a sidecar's batched exports of one cell do not spill into the next. */
  settleMs: number;
  /** Start every proxy afresh before each repetition after the first (`--fresh-processes`; default false). */
  freshPerRep: boolean;
  /** Unmeasured load on each proxy process before its first cell, per mode (ms). */
  proxyWarmupMs: number;
}

export const USAGE = `npm run bench [-- OPTIONS]

  --quick             smoke run: 1 repetition, 0.25 s warm-up, 0.75 s per cell
  --reps N            repetitions of every cell (default 3); the report shows medians
  --fresh-processes   start every proxy afresh before each repetition (default: one process per proxy for the run)
  --proxy-warmup-ms N unmeasured load per mode on each proxy process before its first cell (default 5000)
  --warmup-ms N       warm-up per cell (default 1000)
  --duration-ms N     measured window per cell (default 4000)
  --concurrency LIST  closed-loop concurrencies (default 1,16,64)
  --no-clickhouse     skip the sidecar with the ClickHouse sink on
  --profile           write V8 CPU profiles of the sidecars (node --cpu-prof) and summarise them
  --out DIR           results directory (default .bench-results)
  --build-dir DIR     compiled sidecar to run (default .bench-results/build; scripts/bench.mjs builds it)
  --proxy-core N      core for the proxies under test (default 0)
  --load-core N       core for the load generator and mock upstream (default 1)`;

function num(v: string | undefined, flag: string): number {
  const n = Number(v);
  if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a non-negative number`);
  return n;
}

export function parseBenchArgs(argv: readonly string[], root: string): BenchOptions {
  const quick = argv.includes('--quick');
  const o: BenchOptions = {
    quick,
    reps: quick ? 1 : 3,
    warmupMs: quick ? 250 : 1000,
    durationMs: quick ? 750 : 4000,
    concurrency: [1, 16, 64],
    probes: quick ? 5 : 30,
    outDir: resolve(root, '.bench-results'),
    buildDir: resolve(root, '.bench-results/build'),
    clickhouse: true,
    profile: false,
    proxyCore: 0,
    loadCore: 1,
    settleMs: quick ? 100 : 500,
    freshPerRep: false,
    proxyWarmupMs: quick ? 250 : 5000,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    switch (a) {
      case '--quick':
        break;
      case '--reps':
        o.reps = Math.max(1, Math.round(num(next(), a)));
        break;
      case '--warmup-ms':
        o.warmupMs = num(next(), a);
        break;
      case '--duration-ms':
        o.durationMs = Math.max(100, num(next(), a));
        break;
      case '--concurrency':
        o.concurrency = (next() ?? '').split(',').map((s) => Math.max(1, Math.round(num(s, a))));
        break;
      case '--proxy-warmup-ms':
        o.proxyWarmupMs = num(next(), a);
        break;
      case '--fresh-processes':
        o.freshPerRep = true;
        break;
      case '--no-clickhouse':
        o.clickhouse = false;
        break;
      case '--profile':
        o.profile = true;
        break;
      case '--out':
        o.outDir = resolve(next() ?? '.bench-results');
        break;
      case '--build-dir':
        o.buildDir = resolve(next() ?? '');
        break;
      case '--proxy-core':
        o.proxyCore = num(next(), a);
        break;
      case '--load-core':
        o.loadCore = num(next(), a);
        break;
      case '--help':
      case '-h':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown option ${a}\n\n${USAGE}`);
    }
  }
  return o;
}
