/**
 * In-process microbenchmark of the ClickHouse sink's CPU per call, warm, on one thread: the
 * ledger (`write()` of realistic CallRecords, then the flush that seals, serializes and hands the
 * batches to the inserter) and the span exporter (`export()` of realistic ReadableSpans in
 * BatchSpanProcessor-sized chunks, then the flush). The insert is a stub that encodes the body as
 * the real inserter does, so no network and no ClickHouse: what is left is the sink's own cost.
 *
 *   node --import tsx test/unit/sinks/clickhouse-sink.bench.ts [--calls 20000] [--rounds 12]
 *
 * Not a test (no `.test.ts`): `npm test` does not run it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { defaultResource, detectResources, hostDetector, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { AttemptRecord, CallRecord } from '../../../src/core/call-record.js';
import type { Batch } from '../../../src/sinks/clickhouse/pipeline/batch.js';
import { parseClickHouseSettings } from '../../../src/sinks/clickhouse/settings.js';
import { createClickHouseSink } from '../../../src/sinks/clickhouse/sink.js';

const { values } = parseArgs({
  options: { calls: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '12' } },
});
const CALLS = Number(values.calls);
const ROUNDS = Number(values.rounds);

const hex = (n: number) => {
  let s = '';
  for (let i = 0; i < n; i++) s += ((Math.random() * 16) | 0).toString(16);
  return s;
};
// Latencies as the gateway computes them: differences of performance.now() values (long fractions).
const ms = (base: number) => base + Math.random() * base;
const RESOURCE = { service: 'switchyard', namespace: 'shop', pod: 'web-7d9f8c6b5-x2x9q', workload: 'web' };
const FEATURES = ['support-chat', 'search-summary', 'default', 'checkout-assistant'];

function makeRecord(i: number, t: number): CallRecord {
  const streamed = i % 2 === 1;
  const retried = i % 10 === 0;
  const feature = FEATURES[i % FEATURES.length] as string;
  const usage = { inputTokens: 100 + (i % 900), outputTokens: 20 + (i % 300), cacheReadTokens: i % 3 === 0 ? 64 : undefined };
  const cost = usage.inputTokens * 1.5e-7 + usage.outputTokens * 6e-7;
  const attempt = (index: number, tryNumber: number, ok: boolean): AttemptRecord => ({
    index,
    targetIndex: 0,
    tryNumber,
    provider: 'openai',
    providerName: 'openai',
    model: 'gpt-4o-mini',
    responseModel: ok ? 'gpt-4o-mini-2024-07-18' : undefined,
    responseId: ok ? `chatcmpl-${hex(24)}` : undefined,
    finishReasons: ok ? ['stop'] : undefined,
    startedAtMs: t + index * 3 + Math.random(),
    durationMs: ms(0.4),
    ...(streamed && ok ? { timeToFirstChunkMs: ms(0.2) } : {}),
    httpStatus: ok ? 200 : 503,
    outcome: ok ? 'ok' : 'error',
    ...(ok ? {} : { errorType: 'upstream_5xx' }),
    ...(ok ? { usage } : {}),
    costUsd: ok ? cost : null,
    serverAddress: '127.0.0.1',
    serverPort: 18080,
    spanId: hex(16),
  });
  const attempts = retried ? [attempt(0, 1, false), attempt(1, 2, true)] : [attempt(0, 1, true)];
  return {
    callId: `01J${hex(23).toUpperCase()}`,
    startedAtMs: t,
    traceId: hex(32),
    spanId: hex(16),
    feature,
    route: feature,
    operation: 'chat',
    path: '/v1/chat/completions',
    streamed,
    requestedModel: 'gpt-4o-mini',
    finalProvider: 'openai',
    finalModel: 'gpt-4o-mini',
    outcome: 'ok',
    httpStatus: 200,
    attemptCount: attempts.length,
    retryCount: retried ? 1 : 0,
    fallbackPath: ['openai/gpt-4o-mini'],
    latencyMs: ms(0.5),
    ...(streamed ? { timeToFirstChunkMs: ms(0.3) } : {}),
    overheadMs: ms(0.1),
    usage,
    costUsd: cost,
    priceTableVersion: '2025-06-01',
    configHash: 'a1b2c3d4e5f6a7b8',
    resource: RESOURCE,
    attempts,
  };
}

/** Spans as the recorder makes them: one SERVER span per call and one CLIENT span per attempt. */
async function makeSpans(records: readonly CallRecord[]): Promise<ReadableSpan[]> {
  const detected = detectResources({ detectors: [processDetector, hostDetector] });
  await detected.waitForAsyncAttributes?.();
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'switchyard' }))
    .merge(detected);
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('switchyard');
  for (const r of records) {
    const server = tracer.startSpan('POST /v1/chat/completions', {
      kind: SpanKind.SERVER,
      startTime: r.startedAtMs,
      attributes: { 'http.request.method': 'POST', 'url.path': '/v1/chat/completions' },
    });
    const ctx = trace.setSpan(ROOT_CONTEXT, server);
    for (const a of r.attempts) {
      const client = tracer.startSpan(
        `chat ${a.model}`,
        {
          kind: SpanKind.CLIENT,
          startTime: a.startedAtMs,
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': a.providerName,
            'gen_ai.request.model': a.model,
            'gen_ai.request.stream': r.streamed,
            'server.address': a.serverAddress,
            'switchyard.provider': a.provider,
            'server.port': 18080,
          },
        },
        ctx,
      );
      client.setAttribute('switchyard.attempt.index', a.index);
      client.setAttribute('switchyard.attempt.target_index', a.targetIndex);
      client.setAttribute('switchyard.attempt.try', a.tryNumber);
      if (a.responseModel) client.setAttribute('gen_ai.response.model', a.responseModel);
      if (a.responseId) client.setAttribute('gen_ai.response.id', a.responseId);
      if (a.finishReasons) client.setAttribute('gen_ai.response.finish_reasons', a.finishReasons);
      if (a.usage?.inputTokens !== undefined) client.setAttribute('gen_ai.usage.input_tokens', a.usage.inputTokens);
      if (a.usage?.outputTokens !== undefined) client.setAttribute('gen_ai.usage.output_tokens', a.usage.outputTokens);
      if (a.timeToFirstChunkMs !== undefined) client.setAttribute('gen_ai.response.time_to_first_chunk', a.timeToFirstChunkMs / 1000);
      client.setAttribute('http.response.status_code', a.httpStatus ?? 0);
      if (a.costUsd !== null) client.setAttribute('switchyard.cost_usd', a.costUsd);
      if (a.outcome === 'error') {
        client.setAttribute('error.type', a.errorType ?? 'error');
        client.setStatus({ code: SpanStatusCode.ERROR, message: a.errorType ?? 'error' });
      }
      client.end(a.startedAtMs + a.durationMs);
    }
    server.setAttributes({
      'switchyard.call_id': r.callId,
      'switchyard.feature': r.feature,
      'switchyard.route': r.route,
      'switchyard.operation': r.operation,
      'switchyard.outcome': r.outcome,
      'switchyard.streamed': r.streamed,
      'switchyard.requested_model': r.requestedModel,
      'switchyard.attempt_count': r.attemptCount,
      'switchyard.retry_count': r.retryCount,
      'switchyard.fallback_path': r.fallbackPath.join('>'),
      'switchyard.final_provider': r.finalProvider,
      'switchyard.final_model': r.finalModel,
      'switchyard.usage.input_tokens': r.usage.inputTokens ?? 0,
      'switchyard.usage.output_tokens': r.usage.outputTokens ?? 0,
      'switchyard.overhead_ms': r.overheadMs,
      'switchyard.config_hash': r.configHash,
      'switchyard.price_table_version': r.priceTableVersion,
      'http.response.status_code': r.httpStatus,
    });
    if (r.costUsd !== null) server.setAttribute('switchyard.cost_usd', r.costUsd);
    server.end(r.startedAtMs + r.latencyMs);
  }
  return memory.getFinishedSpans();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const nowUs = () => Number(process.hrtime.bigint()) / 1000;

async function main(): Promise<void> {
  const t0 = Date.now() - 3_600_000;
  const pool = Array.from({ length: 5000 }, (_, i) => makeRecord(i, t0 + i * 7.25));
  const spans = await makeSpans(pool.slice(0, 2000));
  const dir = mkdtempSync(join(tmpdir(), 'ch-bench-'));
  let insertedRows = 0;
  let insertedBytes = 0;
  const insert = async (batch: Batch) => {
    // What the real inserter does on this thread: encode the body once.
    const body = batch.body as string | Buffer;
    insertedBytes += typeof body === 'string' ? Buffer.from(body).length : body.length;
    insertedRows += batch.rows;
  };
  const settings = parseClickHouseSettings({ url: 'http://127.0.0.1:1', spool: { dir: join(dir, 'spool') } });
  const sink = await createClickHouseSink(settings, { log: (l) => console.error(l), insert });
  const ledger = { write: [] as number[], flush: [] as number[] };
  const traces = { export: [] as number[], flush: [] as number[] };
  const CHUNK = 512; // BatchSpanProcessor's maxExportBatchSize
  const spanCalls = Math.round(CALLS / 2);
  for (let round = 0; round < ROUNDS; round++) {
    // Calls end on separate turns of the event loop in a server: yield between slices of 64, so
    // the sink's timers and delivery loop run as they would. Only the write() calls are timed.
    let inWrite = 0;
    let busy = 0;
    for (let i = 0; i < CALLS; ) {
      const end = Math.min(CALLS, i + 64);
      const a = nowUs();
      for (; i < end; i++) sink.write(pool[i % pool.length] as CallRecord);
      inWrite += nowUs() - a;
      const t = nowUs();
      await new Promise((r) => setImmediate(r));
      busy += nowUs() - t; // sealing, serializing and delivery that ran between the slices
    }
    let b = nowUs();
    await sink.flush();
    let c = nowUs();
    ledger.write.push(inWrite / CALLS);
    ledger.flush.push((busy + c - b) / CALLS);

    // spans: as many as `spanCalls` calls leave (SERVER + CLIENT per attempt)
    const perCall = spans.length / 2000;
    const n = Math.round(spanCalls * perCall);
    const a = nowUs();
    for (let i = 0; i < n; i += CHUNK) {
      const start = i % spans.length;
      const chunk = spans.slice(start, Math.min(start + CHUNK, spans.length, start + n - i));
      sink.spanExporter.export(chunk, () => undefined);
    }
    b = nowUs();
    await sink.flush();
    c = nowUs();
    traces.export.push((b - a) / spanCalls);
    traces.flush.push((c - b) / spanCalls);
  }
  await sink.close();
  rmSync(dir, { recursive: true, force: true });
  // the first rounds warm up the JIT: report medians of the second half
  const warm = (xs: number[]) => median(xs.slice(Math.floor(xs.length / 2)));
  const f = (x: number) => x.toFixed(2).padStart(7);
  const lw = warm(ledger.write);
  const lf = warm(ledger.flush);
  const tw = warm(traces.export);
  const tf = warm(traces.flush);
  console.log(
    `calls per round: ${CALLS} (ledger), ${spanCalls} (spans, ${(spans.length / 2000).toFixed(2)} spans/call); rounds: ${ROUNDS}; medians of the last ${ROUNDS - Math.floor(ROUNDS / 2)}`,
  );
  console.log(`µs per call     | in call path | in flush | total`);
  console.log(`ledger write()  | ${f(lw)}      | ${f(lf)}  | ${f(lw + lf)}`);
  console.log(`span export()   | ${f(tw)}      | ${f(tf)}  | ${f(tw + tf)}`);
  console.log(`both            | ${f(lw + tw)}      | ${f(lf + tf)}  | ${f(lw + lf + tw + tf)}`);
  console.log(`inserted: ${insertedRows} rows, ${(insertedBytes / 1e6).toFixed(1)} MB`);
}

await main();
