import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallRecord, CallSink } from '../src/core/call-record.js';
import type { ClickHouseSink } from '../src/sinks/clickhouse/sink.js';
import { createClickHouseSink } from '../src/sinks/clickhouse/sink.js';
import { parseClickHouseSettings } from '../src/sinks/clickhouse/settings.js';
import type { EndedSpan, EndedSpanSink } from '../src/telemetry/ended-span.js';
import type { SpanBytes } from '../src/telemetry/lean-otlp/span-bytes.js';
import type { LentSpans, SpanLedger, SpanLedgerSource, SpanScope } from '../src/telemetry/span-ledger.js';
import type { Resource } from '@opentelemetry/resources';
import { startTelemetry } from '../src/telemetry/setup.js';
import type { DiscardTotals } from './discard-clickhouse.js';
import { type BenchProcess, spawnPinned } from './procs.js';
import { median } from './stats.js';
import { syntheticCall } from './synthetic-call.js';

/**
 * What the ClickHouse sink costs the sidecar's own CPU, per call: `npm run bench:sink`. With
 * `--ledger-source spans` (the default, as the sink's own default) the sink is the span ledger:
 * every call's spans as OTLP documents for `otlp_in`. With `--ledger-source rows` it is the row
 * path, split into the ledger (the `ai_calls_in_v2` row) and the spans (carried in that row for
 * ClickHouse's views, or `otel_traces` rows of their own).
 *
 * One process runs the real telemetry (lean spans, OTLP export to a local receiver, the recorder)
 * and the real ClickHouse sink, which sends its inserts to a discard server on the other core
 * (bench/discard-clickhouse.ts), so the ClickHouse server's CPU is out of the picture. Synthetic
 * calls go through the recorder at a paced rate. The sink is switched per time slice: off, then
 * the span ledger (spans) or the ledger only and the ledger + spans (rows), in rotation; each slice that had the sink on ends with a flush, so its
 * inserts are paid for inside it. Slices of one rotation run back to back, so a paired difference
 * (on − off of the same rotation) cancels most of what the machine does to all of them. Reported:
 * medians over rotations of process CPU µs per call (user + system, every thread: the GC's
 * helpers too), and the paired differences.
 */
interface Options {
  rate: number;
  sliceMs: number;
  rotations: number;
  warmupMs: number;
  ledgerSource: LedgerSource;
  json: boolean;
}

type LedgerSource = 'spans' | 'rows';

function parseOptions(argv: string[]): Options {
  const o: Options = { rate: 5000, sliceMs: 2000, rotations: 8, warmupMs: 3000, ledgerSource: 'spans', json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      return v;
    };
    if (a === '--rate') o.rate = num();
    else if (a === '--slice-ms') o.sliceMs = num();
    else if (a === '--rotations') o.rotations = Math.round(num());
    else if (a === '--warmup-ms') o.warmupMs = num();
    else if (a === '--json') o.json = true;
    else if (a === '--ledger-source') {
      const v = argv[++i];
      if (v !== 'spans' && v !== 'rows') throw new Error(`--ledger-source takes spans or rows, not "${v}"`);
      o.ledgerSource = v;
    } else if (a === '--quick') Object.assign(o, { rate: 1000, sliceMs: 300, rotations: 2, warmupMs: 300 });
    else
      throw new Error(
        `unknown option ${a} (options: --rate N --slice-ms N --rotations N --warmup-ms N --ledger-source spans|rows --quick --json)`,
      );
  }
  return o;
}

type Phase = 'off' | 'ledger' | 'full' | 'spans';
const PHASES: Record<LedgerSource, readonly Phase[]> = { rows: ['off', 'ledger', 'full'], spans: ['off', 'spans'] };

/**
 * The ClickHouse sink behind a switch: records and spans pass only in the phases that want them.
 * With the span ledger, the lean span path gets the switched ledger below in every phase, so the
 * spans carry the ledger's attributes in the `off` slices too (as they would not with the sink off):
 * the paired difference leaves those out (about 0.2 µs per call by the twenty-first round's profile).
 */
class SwitchedSink implements CallSink, EndedSpanSink, SpanLedgerSource {
  readonly name = 'clickhouse';
  phase: Phase = 'off';
  records = 0;
  spans = 0;
  /** Calls (SERVER spans) handed to the span ledger. */
  ledgerCalls = 0;
  ledger: SwitchedLedger | undefined = undefined;
  constructor(
    private readonly inner: ClickHouseSink,
    private readonly source: LedgerSource,
  ) {}
  attachSpanLedger(): SpanLedger | null {
    if (this.source !== 'spans') return null;
    const ledger = this.inner.attachSpanLedger();
    if (ledger === null) throw new Error('the ClickHouse sink did not hand out its span ledger');
    this.ledger = new SwitchedLedger(this, ledger);
    return this.ledger;
  }
  get spanExporter() {
    return this.inner.spanExporter;
  }
  write(record: CallRecord): void {
    if (this.phase === 'off') return;
    this.records++;
    this.inner.write(record);
  }
  writeSpan(span: EndedSpan): void {
    if (this.phase !== 'full') return;
    this.spans++;
    this.inner.writeSpan(span);
  }
  flush() {
    return this.inner.flush();
  }
  close() {
    return this.inner.close();
  }
  health() {
    return this.inner.health();
  }
}

/** The span ledger behind the same switch: spans reach it only in the `spans` slices. */
class SwitchedLedger implements SpanLedger {
  constructor(
    private readonly sink: SwitchedSink,
    private readonly inner: SpanLedger,
  ) {}
  readonly #drains: (() => void)[] = [];
  lendSpans(run: LentSpans): void {
    if (this.sink.phase !== 'spans') {
      run.release();
      return;
    }
    this.sink.spans += run.spans;
    this.sink.ledgerCalls += run.calls;
    this.inner.lendSpans(run);
  }
  drainFrom(drain: () => void): void {
    this.#drains.push(drain);
    this.inner.drainFrom(drain);
  }
  /** Has the batcher hand over what it holds now, under the current phase (a slice's spans stay in it). */
  drainNow(): void {
    for (const drain of this.#drains) drain();
  }
  encode<T>(resource: Resource, scope: SpanScope, encode: (w: SpanBytes, span: T) => void, span: T, call: boolean): void {
    if (this.sink.phase !== 'spans') return;
    this.#count(call);
    this.inner.encode(resource, scope, encode, span, call);
  }
  missed(record: CallRecord): void {
    this.inner.missed(record);
  }
  #count(call: boolean): void {
    this.sink.spans++;
    if (call) this.sink.ledgerCalls++;
  }
}

/** The discard server on the other core (SINK_BENCH_OTHER_CORE, default 1). */
async function startDiscard(): Promise<{ proc: BenchProcess; url: string; totals(): Promise<DiscardTotals> }> {
  const proc = await spawnPinned({
    name: 'discard-clickhouse',
    core: Number(process.env.SINK_BENCH_OTHER_CORE ?? 1),
    command: process.execPath,
    args: ['--import', 'tsx', join(import.meta.dirname, 'discard-clickhouse.ts')],
    isReady: (line) => line.msg === 'discard clickhouse ready',
  });
  const url = String(proc.ready.url);
  return { proc, url, totals: async () => (await (await fetch(`${url}/totals`)).json()) as DiscardTotals };
}

export async function measureSinkCost(o: Options, log: (line: string) => void) {
  const discard = await startDiscard();
  const spoolDir = mkdtempSync(join(tmpdir(), 'sink-cost-spool-'));
  const otlp = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  await new Promise<void>((r) => otlp.listen(0, '127.0.0.1', r));
  const inner = await createClickHouseSink(
    parseClickHouseSettings({
      url: discard.url,
      database: 'sink_cost',
      auto_migrate: false,
      spool: { dir: spoolDir },
      // Other sink settings to measure, as JSON (for example '{"batch":{"max_bytes":1048576}}').
      ...(JSON.parse(process.env.SINK_BENCH_SETTINGS ?? '{}') as object),
    }),
    { log },
  );
  const sink = new SwitchedSink(inner, o.ledgerSource);
  const phases = PHASES[o.ledgerSource];
  const telemetry = await startTelemetry({
    serviceName: 'switchyard-bench',
    otlpEndpoint: `http://127.0.0.1:${(otlp.address() as AddressInfo).port}`,
    captureContent: false,
    sinks: [sink],
    spanSinks: [sink],
    sinkHealth: () => [sink.health()],
  });
  const recorder = telemetry.recorder;
  let n = 0;
  const oneCall = () => {
    syntheticCall(recorder, telemetry.resource, n, `sink-cost-${process.pid}-${n}`);
    n++;
  };
  // One slice: calls paced at the rate in 5 ms ticks; CPU of the whole process per call.
  const TICK_MS = 5;
  const slice = async (phase: Phase, ms: number) => {
    // Spans the batcher still holds from the last slice are handed over (and dropped) under 'off'.
    sink.ledger?.drainNow();
    sink.phase = phase;
    const perTick = (o.rate * TICK_MS) / 1000;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let calls = 0;
    let owed = 0;
    for (let tick = 0; tick < ms / TICK_MS; tick++) {
      owed += perTick;
      for (; owed >= 1; owed--, calls++) oneCall();
      const wait = t0 + (tick + 1) * TICK_MS - performance.now();
      await new Promise((r) => (wait > 0 ? setTimeout(r, wait) : setImmediate(r)));
    }
    if (phase !== 'off') await sink.flush();
    const d = process.cpuUsage(cpu0);
    sink.phase = 'off';
    return (d.user + d.system) / calls;
  };

  log(
    `[sink-cost] ledger from ${o.ledgerSource}: warm-up ${o.warmupMs} ms with the sink on (its buffers grow to size), then ${o.rotations} rotations of ${phases.join('/')} × ${o.sliceMs} ms at ${o.rate} calls/s`,
  );
  await slice(phases.at(-1) as Phase, o.warmupMs);
  const runs: Partial<Record<Phase, number[]>> = Object.fromEntries(phases.map((p) => [p, []]));
  const runsOf = (p: Phase) => runs[p] ?? [];
  for (let r = 0; r < o.rotations; r++) {
    for (const phase of phases) runsOf(phase).push(await slice(phase, o.sliceMs));
    log(`[sink-cost] rotation ${r + 1}/${o.rotations}: ${phases.map((p) => `${p} ${runsOf(p).at(-1)?.toFixed(1)}`).join(', ')} µs/call`);
  }
  await telemetry.shutdown();
  await sink.close();
  const totals = await discard.totals();
  await discard.proc.stop();
  otlp.close();
  rmSync(spoolDir, { recursive: true, force: true });
  const paired = (p: Phase) => runsOf(p).map((v, i) => v - (runsOf('off')[i] as number));
  const on = phases.filter((p) => p !== 'off');
  return {
    options: o,
    phases,
    cpuUsPerCall: Object.fromEntries(phases.map((p) => [p, median(runsOf(p))])) as Partial<Record<Phase, number>>,
    pairedDeltaUs: Object.fromEntries(on.map((p) => [p, median(paired(p))])) as Partial<Record<Phase, number>>,
    runs,
    sent: { records: sink.records, spans: sink.spans, ledgerCalls: sink.ledgerCalls },
    received: totals,
  };
}

export type SinkCostResult = Awaited<ReturnType<typeof measureSinkCost>>;

const PHASE_LABEL: Record<Phase, string> = {
  off: 'off',
  ledger: 'ledger (ai_calls_in_v2 rows)',
  full: 'ledger + spans (carried for the views)',
  spans: 'span ledger (otlp_in documents)',
};

function report(r: SinkCostResult): string {
  const f = (x: number | undefined) => (x ?? Number.NaN).toFixed(1);
  const off = r.runs.off ?? [];
  const range = (p: Phase) => {
    const d = (r.runs[p] ?? []).map((v, i) => v - (off[i] as number)).sort((a, b) => a - b);
    return `${f(d[0])} … ${f(d.at(-1))}`;
  };
  const rows = r.phases.map((p) =>
    p === 'off'
      ? `| off | ${f(r.cpuUsPerCall.off)} | – | – |`
      : `| ${PHASE_LABEL[p]} | ${f(r.cpuUsPerCall[p])} | ${f(r.pairedDeltaUs[p])} | ${range(p)} |`,
  );
  const received = r.received.rows;
  const delivered =
    r.options.ledgerSource === 'spans'
      ? `Calls received by the discard server: ${received.otlp_in ?? 0} in otlp_in documents (handed to the span ledger: ${r.sent.ledgerCalls} calls, ${r.sent.spans} spans)` +
        `${received.ai_calls_in_v2 ? `, and ${received.ai_calls_in_v2} ai_calls_in_v2 rows` : ''}`
      : `Rows received by the discard server: ai_calls_in_v2 ${received.ai_calls_in_v2 ?? 0} (carrying ${r.received.carriedSpans} spans), ` +
        `otel_traces ${received.otel_traces ?? 0} (sent: ${r.sent.records} records, ${r.sent.spans} spans)`;
  return [
    `ClickHouse sink cost in the sidecar's process, ledger from ${r.options.ledgerSource}, ${r.options.rate} calls/s, ${r.options.rotations} rotations × ${r.options.sliceMs} ms (medians):`,
    '',
    '| sink | CPU µs/call | added µs/call (paired) | range of the paired differences |',
    '|---|---:|---:|---|',
    ...rows,
    '',
    `${delivered}, ${(r.received.bytes / 1024 / 1024).toFixed(1)} MiB in ${r.received.inserts} inserts.`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const o = parseOptions(process.argv.slice(2));
  const r = await measureSinkCost(o, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(o.json ? `${JSON.stringify(r)}\n` : `${report(r)}\n`);
}
