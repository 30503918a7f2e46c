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
import { startTelemetry } from '../src/telemetry/setup.js';
import type { DiscardTotals } from './discard-clickhouse.js';
import { type BenchProcess, spawnPinned } from './procs.js';
import { median } from './stats.js';

/**
 * What the ClickHouse sink costs the sidecar's own CPU, per call, split into the ledger (the
 * `ai_calls_in_v2` row) and the spans (carried in that row for ClickHouse's views, or `otel_traces`
 * rows of their own): `npm run bench:sink`.
 *
 * One process runs the real telemetry (lean spans, OTLP export to a local receiver, the recorder)
 * and the real ClickHouse sink, which sends its inserts to a discard server on the other core
 * (bench/discard-clickhouse.ts), so the ClickHouse server's CPU is out of the picture. Synthetic
 * calls go through the recorder at a paced rate. The sink is switched per time slice: off, ledger
 * only, ledger + spans, in rotation; each slice that had the sink on ends with a flush, so its
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
  json: boolean;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { rate: 5000, sliceMs: 2000, rotations: 8, warmupMs: 3000, json: false };
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
    else if (a === '--quick') Object.assign(o, { rate: 1000, sliceMs: 300, rotations: 2, warmupMs: 300 });
    else throw new Error(`unknown option ${a} (options: --rate N --slice-ms N --rotations N --warmup-ms N --quick --json)`);
  }
  return o;
}

type Phase = 'off' | 'ledger' | 'full';
const PHASES: readonly Phase[] = ['off', 'ledger', 'full'];

/** The ClickHouse sink behind a switch: records and spans pass only in the phases that want them. */
class SwitchedSink implements CallSink, EndedSpanSink {
  readonly name = 'clickhouse';
  phase: Phase = 'off';
  records = 0;
  spans = 0;
  constructor(private readonly inner: ClickHouseSink) {}
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
  const sink = new SwitchedSink(inner);
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
    const now = Date.now();
    const call = recorder.startCall({ operation: 'chat', method: 'POST', path: '/v1/chat/completions', startedAtMs: now });
    const attempt = call.startAttempt({
      operation: 'chat',
      provider: 'mock',
      providerName: 'openai',
      model: 'gpt-4o-mini',
      stream: false,
      serverAddress: '127.0.0.1',
      serverPort: 8080,
      startedAtMs: now,
    });
    const usage = { inputTokens: 75, outputTokens: 51, cacheReadTokens: 0, reasoningTokens: 0 };
    const durationMs = 12 + (n % 97) / 10;
    // Plain literals, as the gateway builds them (spread copies can leave records in dictionary mode).
    const a = {
      index: 0,
      targetIndex: 0,
      tryNumber: 1,
      provider: 'mock',
      providerName: 'openai',
      model: 'gpt-4o-mini',
      responseModel: 'gpt-4o-mini-2024-07-18',
      responseId: `chatcmpl-${n}`,
      finishReasons: ['stop'],
      startedAtMs: now,
      durationMs,
      httpStatus: 200,
      outcome: 'ok' as const,
      usage,
      costUsd: 0.00004185,
      serverAddress: '127.0.0.1',
      serverPort: 8080,
      spanId: attempt.spanId,
    };
    attempt.end(a);
    call.end({
      callId: `sink-cost-${process.pid}-${n++}`,
      startedAtMs: now,
      traceId: call.traceId,
      spanId: call.spanId,
      feature: 'bench',
      route: 'bench',
      operation: 'chat',
      path: '/v1/chat/completions',
      streamed: false,
      requestedModel: 'gpt-4o-mini',
      finalProvider: 'mock',
      finalModel: 'gpt-4o-mini',
      outcome: 'ok',
      httpStatus: 200,
      attemptCount: 1,
      retryCount: 0,
      fallbackPath: ['mock/gpt-4o-mini'],
      latencyMs: durationMs + 0.3,
      overheadMs: 0.3,
      usage,
      costUsd: 0.00004185,
      priceTableVersion: 'bench',
      configHash: 'bench',
      resource: telemetry.resource,
      attempts: [a],
    });
  };
  // One slice: calls paced at the rate in 5 ms ticks; CPU of the whole process per call.
  const TICK_MS = 5;
  const slice = async (phase: Phase, ms: number) => {
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
    `[sink-cost] warm-up ${o.warmupMs} ms with the sink on (its buffers grow to size), then ${o.rotations} rotations of off/ledger/full × ${o.sliceMs} ms at ${o.rate} calls/s`,
  );
  await slice('full', o.warmupMs);
  const runs: Record<Phase, number[]> = { off: [], ledger: [], full: [] };
  for (let r = 0; r < o.rotations; r++) {
    for (const phase of PHASES) runs[phase].push(await slice(phase, o.sliceMs));
    log(`[sink-cost] rotation ${r + 1}/${o.rotations}: ${PHASES.map((p) => `${p} ${runs[p].at(-1)?.toFixed(1)}`).join(', ')} µs/call`);
  }
  await telemetry.shutdown();
  await sink.close();
  const totals = await discard.totals();
  await discard.proc.stop();
  otlp.close();
  rmSync(spoolDir, { recursive: true, force: true });
  const paired = (p: Phase) => runs[p].map((v, i) => v - (runs.off[i] as number));
  return {
    options: o,
    cpuUsPerCall: { off: median(runs.off), ledger: median(runs.ledger), full: median(runs.full) },
    pairedDeltaUs: { ledger: median(paired('ledger')), full: median(paired('full')) },
    runs,
    sent: { records: sink.records, spans: sink.spans },
    received: totals,
  };
}

export type SinkCostResult = Awaited<ReturnType<typeof measureSinkCost>>;

function report(r: SinkCostResult): string {
  const f = (x: number) => x.toFixed(1);
  const range = (p: 'ledger' | 'full') => {
    const d = r.runs[p].map((v, i) => v - (r.runs.off[i] as number)).sort((a, b) => a - b);
    return `${f(d[0] as number)} … ${f(d.at(-1) as number)}`;
  };
  return [
    `ClickHouse sink cost in the sidecar's process, ${r.options.rate} calls/s, ${r.options.rotations} rotations × ${r.options.sliceMs} ms (medians):`,
    '',
    '| sink | CPU µs/call | added µs/call (paired) | range of the paired differences |',
    '|---|---:|---:|---|',
    `| off | ${f(r.cpuUsPerCall.off)} | – | – |`,
    `| ledger (ai_calls_in_v2 rows) | ${f(r.cpuUsPerCall.ledger)} | ${f(r.pairedDeltaUs.ledger)} | ${range('ledger')} |`,
    `| ledger + spans (carried for the views) | ${f(r.cpuUsPerCall.full)} | ${f(r.pairedDeltaUs.full)} | ${range('full')} |`,
    '',
    `Rows received by the discard server: ai_calls_in_v2 ${r.received.rows.ai_calls_in_v2 ?? 0} (carrying ${r.received.carriedSpans} spans), ` +
      `otel_traces ${r.received.rows.otel_traces ?? 0} (sent: ${r.sent.records} records, ${r.sent.spans} spans), ` +
      `${(r.received.bytes / 1024 / 1024).toFixed(1)} MiB in ${r.received.inserts} inserts.`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const o = parseOptions(process.argv.slice(2));
  const r = await measureSinkCost(o, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(o.json ? `${JSON.stringify(r)}\n` : `${report(r)}\n`);
}
