import type { EqualLoadRow } from './equal-load.js';
import type { Mode } from './fixture-bytes.js';
import type { LoadResult } from './load.js';
import { median } from './stats.js';
import type { BenchOptions } from './options.js';

/** The shape of `.bench-results/latest.json`, and the medians and ratios derived from the runs. */
export type TargetName = 'direct' | 'bare' | 'sidecar' | 'sidecar-ch' | 'sidecar-chd';

export const TARGET_LABELS: Record<TargetName, string> = {
  direct: 'direct (load → mock)',
  bare: 'bare node:http+undici',
  sidecar: 'sidecar, telemetry on, ledger off',
  'sidecar-ch': 'sidecar, telemetry on, ClickHouse ledger on (the ClickHouse server on the load core)',
  'sidecar-chd': 'sidecar, telemetry on, ClickHouse ledger on, inserts to a discarding endpoint (ClickHouse on a host of its own)',
};

export interface CellRun extends LoadResult {
  /** CPU of the proxy under test per completed request in the window (µs); NaN for `direct`. */
  proxyCpuUsPerReq: number;
  /** Busy share of the proxy's core in the window (1 = the whole core). */
  proxyCoreBusy: number;
  /** Busy share of the load core (load generator + mock upstream + OTLP receiver + ClickHouse) in the window. */
  loadCoreBusy: number;
  /** CPU on the load core per completed request (µs): load generator, mock upstream, OTLP receiver and ClickHouse. */
  loadCpuUsPerReq: number;
  /** CPU of the ClickHouse server per completed request (µs), inside loadCpuUsPerReq; NaN without ClickHouse. */
  clickhouseCpuUsPerReq: number;
  /** Busy share of the proxy core spent by processes outside the bench (NaN when unpinned). */
  proxyCoreOther: number;
  /** Busy share of the load core spent by processes outside the bench. */
  loadCoreOther: number;
  /** Share of a core stolen by the hypervisor, both cores summed. */
  steal: number;
  /** PID of the proxy process measured (absent for `direct`). */
  proxyPid?: number;
}

export interface CellMedian {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  ttfbP50Ms: number;
  ttfbP99Ms: number;
  proxyCpuUsPerReq: number;
  proxyCoreBusy: number;
  loadCoreBusy: number;
  loadCpuUsPerReq: number;
  clickhouseCpuUsPerReq: number;
  proxyCoreOther: number;
  loadCoreOther: number;
  steal: number;
  errors: number;
}

export interface Cell {
  target: TargetName;
  mode: Mode;
  concurrency: number;
  runs: CellRun[];
  median: CellMedian;
}

export interface IncrementalResult {
  target: TargetName;
  probes: number;
  ttfcMsMedian: number;
  totalMsMedian: number;
  /** Body chunks the client saw, median: ≥ 2 means the first event arrived on its own. */
  chunksMedian: number;
  /** The first chunk holds exactly the first SSE event of the fixture. */
  firstChunkIsFirstEvent: boolean;
}

export interface FidelityResult {
  target: TargetName;
  mode: Mode;
  status: number;
  bytes: number;
  fixtureBytes: number;
  identical: boolean;
  /** First differing byte offset, or -1. */
  firstDiffAt: number;
  /** A few bytes of context around the first difference (fixture vs got), when any. */
  diff?: { fixture: string; got: string };
}

export interface TargetCheck {
  name: string;
  target: string;
  measured: string;
  pass: boolean;
}

export interface BenchResults {
  version: 1;
  startedAt: string;
  finishedAt: string;
  command: string;
  /** The run's options; `freshPerRep` and `proxyWarmupMs` are absent in results from before those options. */
  options: Pick<BenchOptions, 'quick' | 'reps' | 'warmupMs' | 'durationMs' | 'concurrency' | 'probes'> &
    Partial<Pick<BenchOptions, 'freshPerRep' | 'proxyWarmupMs'>>;
  machine: {
    nproc: number;
    cpuModel: string;
    node: string;
    kernel: string;
    pinned: boolean;
    proxyCore: number | null;
    loadCore: number | null;
  };
  targets: TargetName[];
  fidelity: FidelityResult[];
  cells: Cell[];
  incremental: IncrementalResult[];
  /** The ClickHouse sink off and on at the same offered load (bench/equal-load.ts). */
  equalLoad?: EqualLoadRow[];
  /** Ledger rows in ClickHouse after the sidecar flushed on SIGTERM, vs successful calls sent to it. */
  ledger?: { rows: number; callsSent: number };
  /** Ledger rows (calls in `otlp_in` documents, and `ai_calls_in_v2` rows) the discarding endpoint took from `sidecar-chd` after its SIGTERM flush, vs calls sent to it. */
  discardLedger?: { rows: number; callsSent: number };
  summary: {
    ratios: Array<{
      mode: Mode;
      concurrency: number;
      sidecarVsBare: number;
      sidecarChVsBare: number;
      chOnVsOff: number;
      /** The sink on with its inserts discarded on arrival ÷ off. */
      chdOnVsOff: number;
      /** The same ratios from CPU per request (bare µs ÷ sidecar µs): robust when other processes share the cores. */
      sidecarVsBareCpu: number;
      chOnVsOffCpu: number;
      chdOnVsOffCpu: number;
    }>;
    addedP50Ms: Array<{ mode: Mode; target: TargetName; ms: number }>;
    checks: TargetCheck[];
  };
  notes: string[];
  profiles?: Array<{
    target: TargetName;
    file: string;
    top: Array<{ fn: string; where: string; selfPct: number }>;
    byPackage: Array<{ pkg: string; selfPct: number }>;
  }>;
}

export function medianOf(runs: readonly CellRun[]): CellMedian {
  const m = (f: (r: CellRun) => number) => median(runs.map(f));
  return {
    rps: m((r) => r.rps),
    p50Ms: m((r) => r.latencyMs.p50),
    p99Ms: m((r) => r.latencyMs.p99),
    ttfbP50Ms: m((r) => r.ttfbMs.p50),
    ttfbP99Ms: m((r) => r.ttfbMs.p99),
    proxyCpuUsPerReq: m((r) => r.proxyCpuUsPerReq),
    proxyCoreBusy: m((r) => r.proxyCoreBusy),
    loadCoreBusy: m((r) => r.loadCoreBusy),
    loadCpuUsPerReq: m((r) => r.loadCpuUsPerReq),
    clickhouseCpuUsPerReq: m((r) => r.clickhouseCpuUsPerReq),
    proxyCoreOther: m((r) => r.proxyCoreOther),
    loadCoreOther: m((r) => r.loadCoreOther),
    steal: m((r) => r.steal),
    errors: runs.reduce((a, r) => a + r.errors, 0),
  };
}

export function findCell(cells: readonly Cell[], target: TargetName, mode: Mode, concurrency: number): Cell | undefined {
  return cells.find((c) => c.target === target && c.mode === mode && c.concurrency === concurrency);
}

export function summarise(
  cells: readonly Cell[],
  incremental: readonly IncrementalResult[],
  concurrency: readonly number[],
): BenchResults['summary'] {
  const modes: Mode[] = ['non-stream', 'stream'];
  const rps = (t: TargetName, mode: Mode, c: number) => findCell(cells, t, mode, c)?.median.rps ?? Number.NaN;
  const cpu = (t: TargetName, mode: Mode, c: number) => findCell(cells, t, mode, c)?.median.proxyCpuUsPerReq ?? Number.NaN;
  const ratios = modes.flatMap((mode) =>
    concurrency.map((c) => ({
      mode,
      concurrency: c,
      sidecarVsBare: rps('sidecar', mode, c) / rps('bare', mode, c),
      sidecarChVsBare: rps('sidecar-ch', mode, c) / rps('bare', mode, c),
      chOnVsOff: rps('sidecar-ch', mode, c) / rps('sidecar', mode, c),
      chdOnVsOff: rps('sidecar-chd', mode, c) / rps('sidecar', mode, c),
      sidecarVsBareCpu: cpu('bare', mode, c) / cpu('sidecar', mode, c),
      chOnVsOffCpu: cpu('sidecar', mode, c) / cpu('sidecar-ch', mode, c),
      chdOnVsOffCpu: cpu('sidecar', mode, c) / cpu('sidecar-chd', mode, c),
    })),
  );
  const c1 = Math.min(...concurrency);
  const p50 = (t: TargetName, mode: Mode) => findCell(cells, t, mode, c1)?.median.p50Ms ?? Number.NaN;
  const addedP50Ms = modes.flatMap((mode) =>
    (['bare', 'sidecar', 'sidecar-ch', 'sidecar-chd'] as const).map((target) => ({
      mode,
      target,
      ms: p50(target, mode) - p50('direct', mode),
    })),
  );
  const fmt = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  const sat = ratios.filter((r) => r.concurrency > 1);
  const minRatio = Math.min(...sat.map((r) => r.sidecarVsBare));
  const furthestFrom1 = (ratios: number[]) =>
    ratios.reduce((w, x) => (Math.abs(1 - x) > Math.abs(1 - w) || !Number.isFinite(w) ? x : w), Number.NaN);
  const worstCh = furthestFrom1(sat.map((r) => r.chOnVsOff));
  const worstChd = furthestFrom1(sat.map((r) => r.chdOnVsOff));
  const added = addedP50Ms.filter((a) => a.target === 'sidecar');
  const maxAdded = Math.max(...added.map((a) => a.ms));
  const inc = incremental.find((i) => i.target === 'sidecar');
  const checks: TargetCheck[] = [
    {
      name: 'sidecar throughput vs bare passthrough (full telemetry, concurrency > 1, worst cell)',
      target: '≥ 0.80×',
      measured: `${fmt(minRatio)}×`,
      pass: minRatio >= 0.8,
    },
    {
      name: `added p50 latency vs direct call, concurrency ${c1} (worst mode)`,
      target: '< 0.5 ms',
      measured: `${fmt(maxAdded, 3)} ms`,
      pass: maxAdded < 0.5,
    },
    {
      name: 'ClickHouse sink on vs off throughput, the ClickHouse server on the load core (concurrency > 1, furthest from 1)',
      target: 'within ±10%',
      measured: `${fmt(worstCh)}×`,
      pass: Number.isFinite(worstCh) && Math.abs(1 - worstCh) <= 0.1,
    },
    {
      name: 'ClickHouse sink on vs off throughput, inserts to a discarding endpoint (concurrency > 1, furthest from 1)',
      target: 'within ±10%',
      measured: `${fmt(worstChd)}×`,
      pass: Number.isFinite(worstChd) && Math.abs(1 - worstChd) <= 0.1,
    },
    {
      name: 'stream forwarded incrementally: time to first chunk through the sidecar (upstream gap 50 ms)',
      target: '≪ 50 ms (< 10 ms)',
      measured: inc ? `${fmt(inc.ttfcMsMedian, 2)} ms` : 'n/a',
      pass: inc !== undefined && inc.ttfcMsMedian < 10 && inc.firstChunkIsFirstEvent,
    },
  ];
  return { ratios, addedP50Ms, checks };
}
