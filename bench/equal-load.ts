import type { Mode } from './fixture-bytes.js';
import { type Cell, type CellRun, findCell } from './results.js';
import { median } from './stats.js';

/**
 * The ClickHouse sink's cost to the sidecar itself: the sidecar with the sink off and with it on,
 * both driven open-loop at the same rate, compared by the sidecar's CPU per call.
 *
 * The closed-loop "CH on ÷ CH off" ratio by req/s also measures the ClickHouse server, which on a
 * 2-core bench machine runs on the load core and takes CPU from the load generator. At an equal
 * offered load that does not matter: both sidecars serve the same calls, and their CPU per call
 * differs only by what the sink costs in the sidecar (building rows, sending inserts). For a
 * sidecar that is CPU-bound on its own core, off ÷ on of that CPU is the throughput ratio the sink
 * leaves, with ClickHouse on hosts of its own.
 *
 * The rate is a share of the lowest closed-loop throughput the ClickHouse-on sidecar reached for
 * the mode, so that both variants sustain it on this machine.
 */
export const EQUAL_LOAD_SHARE = 0.7;
export const EQUAL_LOAD_CONCURRENCY = 64;

export interface EqualLoadRow {
  mode: Mode;
  ratePerSec: number;
  concurrency: number;
  /** Achieved req/s (medians), sink off and on. */
  offRps: number;
  onRps: number;
  /** Sidecar CPU per call (µs, medians), sink off and on. */
  offCpuUsPerReq: number;
  onCpuUsPerReq: number;
  /** off ÷ on CPU per call. */
  cpuRatio: number;
  runs: { off: number[]; on: number[] };
}

/** The rate for a mode, or null when the ClickHouse-on sidecar has no closed-loop cell above c = 1. */
export function equalLoadRate(cells: readonly Cell[], mode: Mode, concurrency: readonly number[]): number | null {
  const rates = concurrency
    .filter((c) => c > 1)
    .map((c) => findCell(cells, 'sidecar-ch', mode, c)?.median.rps)
    .filter((x): x is number => x !== undefined && Number.isFinite(x) && x > 0);
  if (rates.length === 0) return null;
  return Math.max(100, Math.round((Math.min(...rates) * EQUAL_LOAD_SHARE) / 100) * 100);
}

export async function measureEqualLoad(o: {
  modes: readonly Mode[];
  reps: number;
  rateFor: (mode: Mode) => number | null;
  /** One paced run of the sink-off (`on` false) or sink-on sidecar. */
  measure: (on: boolean, mode: Mode, ratePerSec: number, concurrency: number) => Promise<CellRun>;
  log: (line: string) => void;
}): Promise<EqualLoadRow[]> {
  const rows: EqualLoadRow[] = [];
  for (const mode of o.modes) {
    const rate = o.rateFor(mode);
    if (rate === null) continue;
    const off: CellRun[] = [];
    const on: CellRun[] = [];
    for (let rep = 0; rep < o.reps; rep++) {
      for (const sinkOn of [false, true]) {
        const run = await o.measure(sinkOn, mode, rate, EQUAL_LOAD_CONCURRENCY);
        (sinkOn ? on : off).push(run);
        o.log(
          `equal load rep ${rep + 1} ${mode.padEnd(10)} ${String(rate).padStart(6)} req/s offered  ${sinkOn ? 'sidecar-ch' : 'sidecar   '} ` +
            `${run.rps.toFixed(0).padStart(6)} req/s  ${run.proxyCpuUsPerReq.toFixed(0)} µs CPU/req`,
        );
      }
    }
    const cpu = (runs: CellRun[]) => median(runs.map((r) => r.proxyCpuUsPerReq));
    const rps = (runs: CellRun[]) => median(runs.map((r) => r.rps));
    rows.push({
      mode,
      ratePerSec: rate,
      concurrency: EQUAL_LOAD_CONCURRENCY,
      offRps: rps(off),
      onRps: rps(on),
      offCpuUsPerReq: cpu(off),
      onCpuUsPerReq: cpu(on),
      cpuRatio: cpu(off) / cpu(on),
      runs: { off: off.map((r) => r.proxyCpuUsPerReq), on: on.map((r) => r.proxyCpuUsPerReq) },
    });
  }
  return rows;
}

export function renderEqualLoad(rows: readonly EqualLoadRow[]): string[] {
  if (rows.length === 0) return [];
  const f = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : '–');
  return [
    '## The ClickHouse sink at equal load',
    '',
    `Both sidecars driven open-loop at the same rate (${Math.round(EQUAL_LOAD_SHARE * 100)} % of the lowest closed-loop req/s the ClickHouse-on sidecar reached for the mode, ` +
      `${EQUAL_LOAD_CONCURRENCY} connections), compared by the sidecar's own CPU per call: what the sink costs the sidecar, with the ClickHouse server's CPU on the load core left out. ` +
      'For a sidecar bound by its core, off ÷ on is the throughput the sink leaves it.',
    '',
    '| mode | offered req/s | achieved off / on | sidecar CPU µs/req, CH off | sidecar CPU µs/req, CH on | off ÷ on | runs (µs/req) off; on |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...rows.map(
      (x) =>
        `| ${x.mode} | ${x.ratePerSec} | ${f(x.offRps, 0)} / ${f(x.onRps, 0)} | ${f(x.offCpuUsPerReq, 0)} | ${f(x.onCpuUsPerReq, 0)} | ${f(x.cpuRatio, 2)} | ` +
        `${x.runs.off.map((v) => f(v, 0)).join(', ')}; ${x.runs.on.map((v) => f(v, 0)).join(', ')} |`,
    ),
    ...rows
      .filter((x) => Math.min(x.offRps, x.onRps) < x.ratePerSec * 0.95)
      .map((x) => `\n**${x.mode}: a sidecar fell more than 5 % short of the offered rate, so that row is not at equal load.**`),
  ];
}
