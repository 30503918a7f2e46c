import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metrics } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { AttemptRecord, CallRecord } from '../../../src/core/call-record.js';
import { type Batch, bodyBytes } from '../../../src/sinks/clickhouse/pipeline/batch.js';
import { BodyPool } from '../../../src/sinks/clickhouse/pipeline/body-pool.js';
import { DOC_SPANS, OtlpLedger } from '../../../src/sinks/clickhouse/pipeline/otlp-ledger.js';
import { viewKeysMatch } from '../../../src/sinks/clickhouse/rows/ai-call-in-row.js';
import { NOOP_CALL_HISTOGRAMS } from '../../../src/telemetry/call-histograms.js';
import { writeLeanSpan } from '../../../src/telemetry/lean-otlp/encode-lean-span.js';
import { type LeanBatchOptions, LeanBatchSpanProcessor } from '../../../src/telemetry/lean-otlp/lean-span-processor.js';
import { LEAN_SCOPE, leanSpanOutput } from '../../../src/telemetry/lean-spans.js';
import { createRecorder, type SwitchyardRecorder } from '../../../src/telemetry/recorder.js';
import { attemptRecord, callRecord } from './records.js';

/**
 * The span ledger on the lean span path: every call's spans reach the ledger (sampled ones as the
 * very bytes the OTLP batcher posts, unsampled ones encoded for the ledger alone with the W3C
 * sampled flag off), each an OTLP document line `otlp_in` takes; the spans carry the ledger's
 * attributes only when there is a ledger.
 */
const resource = resourceFromAttributes({ 'service.name': 'ledger-test', 'k8s.namespace.name': 'shop' });

interface OtlpSpan {
  traceId: string;
  spanId: string;
  kind: number;
  flags: number;
  attributes: { key: string; value: Record<string, unknown> }[];
}

function spansOf(body: Buffer): OtlpSpan[] {
  return body
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .flatMap((l) => {
      const doc = JSON.parse(l) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
      return doc.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    });
}

const attr = (s: OtlpSpan, key: string) => s.attributes.find((a) => a.key === key)?.value;

/**
 * A ledger whose batches are kept as copies of their bodies (`batches`), then given back at once,
 * as delivery does once an insert is done; with `hold`, the batches as submitted wait in `held`,
 * not given back.
 */
function ledgerOf(o: { maxRows?: number; maxBytes?: number; maxDelayMs?: number; hold?: boolean } = {}) {
  const batches: (Batch & { body: Buffer })[] = [];
  const held: Batch[] = [];
  const missed: CallRecord[] = [];
  let seq = 0;
  const ledger = new OtlpLedger({
    limits: { maxRows: o.maxRows ?? 10_000, maxBytes: o.maxBytes ?? 8 * 1024 * 1024 },
    maxDelayMs: o.maxDelayMs ?? 60_000,
    nextSeq: () => ++seq,
    runId: 'r1',
    submit: (b) => {
      batches.push({ ...b, body: Buffer.from(bodyBytes(b)) });
      if (o.hold === true) held.push(b);
      else b.release?.();
    },
    bodies: new BodyPool(),
    missed: (r) => void missed.push(r),
  });
  return { ledger, batches, held, missed };
}

function side(withBatcher: boolean, ledger: OtlpLedger | undefined, o: Partial<LeanBatchOptions> = {}) {
  const posted: Buffer[] = [];
  const batcher = withBatcher
    ? new LeanBatchSpanProcessor({
        poster: { post: async (b) => void posted.push(Buffer.from(b)), close: async () => {} },
        maxExportBatchSize: 512,
        maxQueueSize: 2048,
        scheduledDelayMillis: 60_000,
        exportTimeoutMillis: 5000,
        onWarn: () => {},
        ...o,
      })
    : undefined;
  const recorder = createRecorder({
    tracerProvider: new BasicTracerProvider(),
    meterProvider: metrics.getMeterProvider(),
    histograms: NOOP_CALL_HISTOGRAMS,
    sinks: [],
    captureContent: false,
    leanSpans: leanSpanOutput({
      resource,
      sampler: { parentBased: true, upperBound: 0x100000000 },
      batcher,
      spanSinks: [],
      processors: [],
      ...(ledger !== undefined ? { ledger } : {}),
    }),
  });
  return { recorder, posted, batcher };
}

/** One call with two attempts (a 503, then the answer), as the gateway runs it. */
function runCall(rec: SwitchyardRecorder, traceparent?: string): CallRecord {
  const t0 = 1_760_000_000_123.375;
  const call = rec.startCall({
    operation: 'chat',
    method: 'POST',
    path: '/v1/chat/completions',
    startedAtMs: t0,
    ...(traceparent ? { traceparent } : {}),
  });
  call.setFeature('support-chat');
  const attempts: AttemptRecord[] = [];
  for (let index = 0; index < 2; index++) {
    const a = attemptRecord({
      startedAtMs: t0 + 1 + index * 100,
      index,
      ...(index === 0 ? { outcome: 'error', errorType: 'upstream_server_error', httpStatus: 503 } : {}),
    });
    const h = call.startAttempt({
      operation: 'chat',
      provider: a.provider,
      providerName: a.providerName,
      model: a.model,
      stream: false,
      serverAddress: a.serverAddress,
      startedAtMs: a.startedAtMs,
    });
    a.spanId = h.spanId;
    h.end(a);
    attempts.push(a);
  }
  const record = callRecord({
    callId: call.callId,
    startedAtMs: t0,
    traceId: call.traceId,
    spanId: call.spanId,
    feature: 'support-chat',
    attempts,
    usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 4, reasoningTokens: 2 },
  });
  call.end(record);
  return record;
}

test('sampled calls: the ledger holds the very span bytes the OTLP batcher posts, with the ledger attributes', async () => {
  const { ledger, batches } = ledgerOf();
  const s = side(true, ledger);
  const records = [runCall(s.recorder), runCall(s.recorder)];
  ledger.seal();
  await s.batcher?.forceFlush();
  assert.equal(batches.length, 1);
  assert.equal(batches[0]?.table, 'otlp_in');
  assert.equal(batches[0]?.rows, 2, 'rows are calls (SERVER spans)');
  const fromLedger = spansOf(batches[0]?.body as Buffer);
  const posted = s.posted.flatMap((b) => spansOf(b));
  assert.equal(fromLedger.length, 6);
  assert.deepEqual(fromLedger, posted);
  for (const span of fromLedger) assert.equal(span.flags & 1, 1);
  const [client, , server] = fromLedger as [OtlpSpan, OtlpSpan, OtlpSpan];
  assert.equal(server.kind, 2);
  assert.deepEqual(attr(server, 'switchyard.call.id'), { stringValue: records[0]?.callId });
  assert.deepEqual(attr(server, 'switchyard.usage.cache_read.input_tokens'), { intValue: 4 });
  assert.deepEqual(attr(server, 'switchyard.usage.reasoning.output_tokens'), { intValue: 2 });
  assert.equal(attr(server, 'switchyard.usage.cache_creation.input_tokens'), undefined);
  assert.equal(client.kind, 3);
  assert.deepEqual(attr(client, 'switchyard.call.id'), { stringValue: records[0]?.callId });
  assert.deepEqual(attr(client, 'switchyard.feature'), { stringValue: 'support-chat' });
  // The call id is a UUIDv7 of the call's start: the attempts view takes the call's ts from it.
  const ms = Number.parseInt((records[0]?.callId as string).replace(/-/g, '').slice(0, 12), 16);
  assert.equal(ms, Math.floor(records[0]?.startedAtMs as number));
});

test('unsampled calls reach the ledger only, with the W3C sampled flag off; without a batcher the ledger encodes them', async () => {
  for (const withBatcher of [true, false]) {
    const { ledger, batches } = ledgerOf();
    const s = side(withBatcher, ledger);
    const record = runCall(s.recorder, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00');
    runCall(s.recorder);
    ledger.seal();
    await s.batcher?.forceFlush();
    const spans = spansOf(batches[0]?.body as Buffer);
    assert.equal(spans.length, 6);
    const unsampled = spans.filter((x) => x.traceId === record.traceId);
    assert.equal(unsampled.length, 3);
    // HAS_IS_REMOTE (0x100), and IS_REMOTE (0x200) on the SERVER span whose parent is the app's.
    assert.deepEqual(
      unsampled.map((x) => x.flags),
      [0x100, 0x100, 0x300],
    );
    assert.ok(spans.filter((x) => x.traceId !== record.traceId).every((x) => (x.flags & 1) === 1));
    if (withBatcher) assert.equal(s.posted.flatMap((b) => spansOf(b)).length, 3, 'the collector gets the sampled call only');
  }
});

/** Span ids of the spans in `bodies`, sorted, with their kinds. */
function idsOf(bodies: readonly Buffer[]): string[] {
  return bodies.flatMap((b) => spansOf(b).map((x) => `${x.kind}:${x.spanId}`)).sort();
}

test('the batcher hands its spans to the ledger in bulk: once each, across partial drains, split batches and exports', async () => {
  const { ledger, batches } = ledgerOf();
  // Batches of 5 spans: a call's three spans straddle batches (a split chunk is tested below).
  const s = side(true, ledger, { maxExportBatchSize: 5 });
  const before = runCall(s.recorder);
  assert.equal(batches.length, 0, 'nothing handed over yet: the spans wait in the batcher');
  ledger.seal(); // drains the batcher's open chunk (3 spans), which the batcher goes on filling
  assert.equal(batches.length, 1);
  assert.equal(batches[0]?.rows, 1);
  const records = [before];
  for (let i = 0; i < 6; i++) {
    records.push(runCall(s.recorder));
    if (i === 2) ledger.seal();
  }
  await s.batcher?.forceFlush();
  ledger.seal();
  const bodies = batches.map((b) => b.body);
  assert.equal(spansOf(Buffer.concat(bodies)).length, 21);
  assert.deepEqual(idsOf(bodies), idsOf(s.posted), 'the ledger has exactly the spans the collector got');
  assert.equal(new Set(idsOf(bodies)).size, 21, 'no span twice');
  assert.equal(
    batches.reduce((n, b) => n + b.rows, 0),
    records.length,
  );
  // A ledger whose batches hold one call seals in the middle of a drain (the batcher holds a run
  // per call, its one export never ends): still each span once.
  const small = ledgerOf({ maxRows: 1 });
  const t = side(true, small.ledger, { maxExportBatchSize: 3, poster: { post: () => new Promise<void>(() => {}), close: async () => {} } });
  for (let i = 0; i < 4; i++) runCall(t.recorder);
  small.ledger.seal();
  assert.deepEqual(
    small.batches.map((b) => b.rows),
    [1, 1, 1, 1],
  );
  assert.equal(new Set(idsOf(small.batches.map((b) => b.body))).size, 12);
  assert.equal(spansOf(Buffer.concat(small.batches.map((b) => b.body))).length, 12);

  // Every document is a whole OTLP request of the sidecar's resource.
  for (const b of batches)
    for (const line of b.body
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '')) {
      const doc = JSON.parse(line) as { resourceSpans: { resource: { attributes: { key: string }[] } }[] };
      assert.ok(doc.resourceSpans[0]?.resource.attributes.some((a) => a.key === 'service.name'));
    }
});

test('a span the batcher took reaches the ledger when its export fails, and when the queue is full the ledger encodes it', async () => {
  // Every post fails: the ledger still gets each span the batcher queued, from the batcher.
  const failing = ledgerOf();
  const f = side(true, failing.ledger, {
    poster: { post: async () => Promise.reject(new Error('collector down')), close: async () => {} },
  });
  for (let i = 0; i < 3; i++) runCall(f.recorder);
  await f.batcher?.forceFlush();
  assert.equal(f.batcher?.failedSpans, 9);
  failing.ledger.seal();
  assert.equal(spansOf(Buffer.concat(failing.batches.map((b) => b.body))).length, 9);
  assert.equal(
    failing.batches.reduce((n, b) => n + b.rows, 0),
    3,
  );

  // A post that never ends and a queue of 4 spans: the first batch is in flight, the queue fills,
  // and the spans it drops are encoded by the ledger itself. Each span once, all 15.
  const stuck = ledgerOf();
  const st = side(true, stuck.ledger, {
    poster: { post: () => new Promise<void>(() => {}), close: async () => {} },
    maxExportBatchSize: 2,
    maxQueueSize: 4,
  });
  for (let i = 0; i < 5; i++) runCall(st.recorder);
  assert.ok((st.batcher?.dropped ?? 0) > 0, 'the queue was full');
  stuck.ledger.seal();
  const bodies = stuck.batches.map((b) => b.body);
  assert.equal(spansOf(Buffer.concat(bodies)).length, 15);
  assert.equal(new Set(idsOf(bodies)).size, 15);
  assert.equal(
    stuck.batches.reduce((n, b) => n + b.rows, 0),
    5,
  );
});

test("the ledger takes the batcher's spans by reference; the batcher reuses a buffer only once the ledger gives it back", async () => {
  const { ledger, batches, held } = ledgerOf({ hold: true });
  // The memory each post reads from, in order: the batcher's chunk buffers.
  const memories: ArrayBufferLike[] = [];
  const posted: Buffer[] = [];
  const poster = {
    post: async (b: Buffer) => {
      memories.push(b.buffer);
      posted.push(Buffer.from(b));
    },
    close: async () => {},
  };
  // Two calls (six spans) fill a batch of the batcher.
  const s = side(true, ledger, { maxExportBatchSize: 6, poster });
  runCall(s.recorder);
  runCall(s.recorder);
  await s.batcher?.forceFlush();
  ledger.seal();
  assert.equal(held.length, 1);
  const first = held[0] as Batch;
  const lentMemory = memories[0] as ArrayBufferLike;
  // The body is in parts, one of them a view of the very memory the batcher posted from.
  assert.ok(!Buffer.isBuffer(first.body), 'a body in parts');
  assert.ok((first.body as readonly Buffer[]).some((p) => p.buffer === lentMemory));
  assert.equal(first.bytes, bodyBytes(first).length);
  const asSealed = Buffer.from(bodyBytes(first));
  // While the ledger holds it, the batcher writes its next spans elsewhere: the body is intact.
  for (let i = 0; i < 10; i++) {
    runCall(s.recorder);
    runCall(s.recorder);
    await s.batcher?.forceFlush();
  }
  assert.equal(memories.length, 11);
  assert.ok(!memories.slice(1).includes(lentMemory), 'not reused while lent');
  assert.ok(bodyBytes(first).equals(asSealed), 'the lent bytes are unchanged');
  assert.equal(spansOf(asSealed).length, 6);
  // Given back (the insert is done): the next chunk is written into it again.
  first.release?.();
  runCall(s.recorder);
  runCall(s.recorder);
  await s.batcher?.forceFlush();
  assert.equal(memories[11], lentMemory, 'reused once the post and the ledger are done with it');
  // Every span once, in the ledger as posted.
  ledger.seal();
  for (const b of held.slice(1)) b.release?.();
  assert.deepEqual(idsOf(batches.map((b) => b.body)), idsOf(posted));
  assert.equal(new Set(idsOf(batches.map((b) => b.body))).size, 72);
});

test('a run the ledger holds stays intact when the batcher splits its chunk across two exports', async () => {
  const { ledger, batches, held } = ledgerOf({ hold: true });
  // Posts end when the test says so, so spans pile up behind the one in flight.
  const ends: (() => void)[] = [];
  const posted: Buffer[] = [];
  const poster = {
    post: (b: Buffer) => {
      posted.push(Buffer.from(b));
      return new Promise<void>((resolve) => ends.push(resolve));
    },
    close: async () => {},
  };
  const s = side(true, ledger, { maxExportBatchSize: 5, poster });
  const batcher = s.batcher as LeanBatchSpanProcessor;
  // A span the ledger does not take (another scope, no ledger call) cuts the batcher's chunks short.
  const other = { name: 'other-scope', version: '1' };
  const foreign = (n: number) =>
    batcher.enqueue(
      resource,
      other,
      (w, id: string) =>
        w.bytes(Buffer.from(`{"traceId":"${'a'.repeat(32)}","spanId":"${id}","name":"other","kind":1,"flags":1,"attributes":[]}`)),
      n.toString(16).padStart(16, '0'),
    );
  runCall(s.recorder);
  runCall(s.recorder); // five spans out in the first export, still in flight; one left
  assert.equal(ends.length, 1);
  foreign(1);
  runCall(s.recorder);
  runCall(s.recorder); // queued: 1 ledger span, 1 foreign, 5 ledger, 1 ledger
  (ends.shift() as () => void)();
  await new Promise((r) => setImmediate(r));
  // The second export took 1 + 1 + 3 spans: the chunk of five was split after its third span.
  assert.equal(ends.length, 1);
  assert.equal(spansOf(posted[1] as Buffer).length, 5);
  ledger.seal();
  const sealed = held.map((b) => Buffer.from(bodyBytes(b)));
  // The rest goes out, each post ended in turn.
  let flushed = false;
  const flushing = batcher.forceFlush().then(() => {
    flushed = true;
  });
  while (!flushed) {
    ends.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  await flushing;
  for (const [i, b] of held.entries()) assert.ok(bodyBytes(b).equals(sealed[i] as Buffer), 'nothing was written over a lent run');
  ledger.seal();
  const ledgerIds = idsOf(batches.map((b) => b.body));
  assert.equal(ledgerIds.length, 12);
  assert.deepEqual(
    ledgerIds,
    idsOf(posted).filter((id) => !id.startsWith('1:')),
    'every ledger span once; the foreign one not',
  );
});

test('the ledger drains the batcher every max_delay_ms: spans do not wait for the batcher to export', async () => {
  const { ledger, batches } = ledgerOf({ maxDelayMs: 20 });
  // The batcher would export after a minute.
  const s = side(true, ledger);
  runCall(s.recorder);
  runCall(s.recorder);
  const deadline = Date.now() + 5000;
  while (batches.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(batches.length, 1, 'a batch went out without a seal or an export');
  assert.equal(batches[0]?.rows, 2);
  assert.equal(s.posted.length, 0, 'the batcher has not exported');
  ledger.close();
  // After close, a span the batcher hands over is counted as dropped, not kept.
  runCall(s.recorder);
  await s.batcher?.forceFlush();
  assert.equal(ledger.dropped, 3);
  assert.equal(batches.length, 1);
});

test('without a ledger the span attributes are the lists migration 6 froze', async () => {
  const s = side(true, undefined);
  runCall(s.recorder);
  await s.batcher?.forceFlush();
  const spans = s.posted.flatMap((b) => spansOf(b));
  assert.equal(spans.length, 3);
  for (const span of spans)
    assert.equal(attr(span, span.kind === 3 ? 'switchyard.call.id' : 'switchyard.usage.reasoning.output_tokens'), undefined);
  assert.equal(viewKeysMatch(), true);
});

test('OtlpLedger: documents of at most DOC_SPANS spans, batches sealed by calls and by bytes, a failed encode leaves nothing', () => {
  const span = (kind: 2 | 3) => ({
    sampled: true,
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: undefined,
    traceState: undefined,
    traceStateObject: undefined,
    parentFlags: 0,
    parentRemote: false,
    name: 'POST /v1/chat/completions',
    kind: kind - 1,
    startMs: 1_700_000_000_123.25,
    endMs: 1_700_000_000_523.5,
    errorMessage: undefined,
    resource,
    scope: LEAN_SCOPE,
    writeAttributes: (w: { attr(k: string, v: unknown): void }) => w.attr('switchyard.call.id', 'c1'),
  });
  const { ledger, batches, missed } = ledgerOf({ maxRows: 3 });
  for (let i = 0; i < 3; i++) {
    ledger.encode(resource, LEAN_SCOPE, writeLeanSpan, span(3), false);
    ledger.encode(resource, LEAN_SCOPE, writeLeanSpan, span(2), true);
  }
  assert.equal(batches.length, 1, 'sealed at 3 calls');
  assert.equal(batches[0]?.rows, 3);
  assert.equal(spansOf(batches[0]?.body as Buffer).length, 6);
  assert.equal(ledger.rows, 0);

  // A span whose encoding throws: neither it nor an empty document is left behind, first in a
  // new document, then after a span that stays.
  const failing = { ...span(2), writeAttributes: () => assert.fail('bad record') };
  assert.throws(() => ledger.encode(resource, LEAN_SCOPE, writeLeanSpan, failing, true), /bad record/);
  ledger.encode(resource, LEAN_SCOPE, writeLeanSpan, span(3), false);
  assert.throws(() => ledger.encode(resource, LEAN_SCOPE, writeLeanSpan, failing, true), /bad record/);
  ledger.seal();
  assert.equal(spansOf(batches[1]?.body as Buffer).length, 1);
  assert.equal(batches[1]?.rows, 0);

  // DOC_SPANS spans per line.
  const big = ledgerOf();
  for (let i = 0; i < DOC_SPANS + 5; i++) big.ledger.encode(resource, LEAN_SCOPE, writeLeanSpan, span(2), true);
  big.ledger.seal();
  const lines = (big.batches[0]?.body as Buffer)
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '');
  assert.equal(lines.length, 2);
  assert.equal(spansOf(big.batches[0]?.body as Buffer).length, DOC_SPANS + 5);
  assert.equal(big.batches[0]?.rows, DOC_SPANS + 5);

  // By bytes: each batch ends once it passes maxBytes; every byte of every span arrives once.
  const small = ledgerOf({ maxBytes: 4096 });
  for (let i = 0; i < 40; i++) small.ledger.encode(resource, LEAN_SCOPE, writeLeanSpan, span(2), true);
  small.ledger.seal();
  assert.ok(small.batches.length > 2);
  assert.equal(
    small.batches.reduce((n, b) => n + spansOf(b.body).length, 0),
    40,
  );
  assert.equal(
    small.batches.reduce((n, b) => n + b.rows, 0),
    40,
  );
  assert.deepEqual(new Set(small.batches.map((b) => b.token)).size, small.batches.length);

  // After close: counted, not kept.
  small.ledger.close();
  small.ledger.encode(resource, LEAN_SCOPE, writeLeanSpan, span(2), true);
  assert.equal(small.ledger.dropped, 1);
  ledger.missed(callRecord({ startedAtMs: 1, traceId: 't', spanId: 's' }));
  assert.equal(missed.length, 1);
});

test('a span the ledger cannot encode sends its call record down the row path (missed)', () => {
  const { ledger, batches, missed } = ledgerOf();
  const s = side(false, ledger);
  const call = s.recorder.startCall({ operation: 'chat', method: 'POST', path: '/v1/chat/completions', startedAtMs: 1_760_000_000_000 });
  const h = call.startAttempt({
    operation: 'chat',
    provider: 'p',
    providerName: 'openai',
    model: 'm',
    stream: false,
    serverAddress: 'h',
    startedAtMs: 1_760_000_000_001,
  });
  // An attempt record of a shape the encoder cannot write (a usage that throws when read).
  const bad = attemptRecord({ startedAtMs: 1_760_000_000_001 });
  Object.defineProperty(bad, 'usage', {
    get() {
      throw new Error('unreadable');
    },
  });
  h.end(bad);
  const record = callRecord({
    callId: call.callId,
    startedAtMs: 1_760_000_000_000,
    traceId: call.traceId,
    spanId: call.spanId,
    attempts: [],
  });
  call.end(record);
  ledger.seal();
  assert.deepEqual(missed, [record]);
  // The record goes down the row path whole: its SERVER span does not reach the ledger too.
  assert.equal(batches.length, 0);
  assert.equal(ledger.rows, 0);
});
