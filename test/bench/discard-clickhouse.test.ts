import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { OtlpCallCounter, countOtlpCalls, startDiscardClickHouse } from '../../bench/discard-clickhouse.js';
import { syntheticCall } from '../../bench/synthetic-call.js';
import { bodyBytes } from '../../src/sinks/clickhouse/pipeline/batch.js';
import { parseClickHouseSettings } from '../../src/sinks/clickhouse/settings.js';
import { createClickHouseSink } from '../../src/sinks/clickhouse/sink.js';
import { startTelemetry } from '../../src/telemetry/setup.js';

/**
 * The discarding endpoint's count of calls in `otlp_in` batches (the bench's ledger check), held to
 * a JSON parse of real batches: the sidecar's telemetry and ClickHouse sink (span ledger, OTLP
 * batcher posting to a local receiver) write them, from synthetic calls whose feature and model
 * names hold the counted bytes themselves (JSON escapes them). The count must be the same whole,
 * chunk by chunk at any split, and through the endpoint's HTTP server.
 */
const CALLS = 250;
const MARKER_NAME = '"kind":2,';
const bodies: Buffer[] = [];
let otlp: Server;
let spoolDir: string;

before(async () => {
  spoolDir = mkdtempSync(join(tmpdir(), 'discard-count-'));
  otlp = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  await new Promise<void>((r) => otlp.listen(0, '127.0.0.1', r));
  const sink = await createClickHouseSink(
    parseClickHouseSettings({ url: 'http://127.0.0.1:9', auto_migrate: false, spool: { dir: spoolDir }, batch: { max_rows: 100 } }),
    {
      log: () => {},
      insert: async (b) => {
        assert.equal(b.table, 'otlp_in');
        bodies.push(Buffer.from(bodyBytes(b)));
      },
    },
  );
  const telemetry = await startTelemetry({
    serviceName: 'discard-count-test',
    otlpEndpoint: `http://127.0.0.1:${(otlp.address() as AddressInfo).port}`,
    captureContent: false,
    sinks: [sink],
    spanSinks: [sink],
    sinkHealth: () => [sink.health()],
  });
  assert.equal(sink.health().ledger, 'spans');
  for (let n = 0; n < CALLS; n++) {
    const names = n % 3 === 0 ? { feature: `f${MARKER_NAME}`, requestedModel: `m${MARKER_NAME}` } : {};
    syntheticCall(telemetry.recorder, telemetry.resource, n, `discard-count-${n}`, names);
    // The ledger drains the OTLP batcher's spans when it seals (as its timer does every
    // max_delay_ms): a batch per 100 calls here.
    if (n % 100 === 99) await sink.flush();
  }
  await telemetry.shutdown();
  await sink.close();
});

after(() => {
  otlp.close();
  rmSync(spoolDir, { recursive: true, force: true });
});

function serverSpansByParse(body: Buffer): number {
  let n = 0;
  for (const line of body.toString('utf8').split('\n')) {
    if (line === '') continue;
    const doc = JSON.parse(line) as { resourceSpans: { scopeSpans: { spans: { kind: number }[] }[] }[] };
    for (const r of doc.resourceSpans) for (const s of r.scopeSpans) for (const span of s.spans) if (span.kind === 2) n++;
  }
  return n;
}

test('countOtlpCalls counts the SERVER spans a JSON parse finds in real otlp_in batches', () => {
  assert.ok(bodies.length >= 3, `batches: ${bodies.length}`);
  assert.ok(
    bodies.some((b) => b.includes('f\\"kind\\":2,')),
    'the escaped names are in the bodies',
  );
  const parsed = bodies.reduce((a, b) => a + serverSpansByParse(b), 0);
  assert.equal(parsed, CALLS);
  assert.equal(
    bodies.reduce((a, b) => a + countOtlpCalls(b), 0),
    CALLS,
  );
});

test('OtlpCallCounter counts the same at every chunk size, markers split across chunks included', () => {
  for (const size of [1, 2, 5, 8, 9, 10, 17, 4096, 65_536, 1 << 24]) {
    let total = 0;
    for (const body of bodies) {
      const c = new OtlpCallCounter();
      for (let i = 0; i < body.length; i += size) c.push(body.subarray(i, i + size));
      total += c.calls;
    }
    assert.equal(total, CALLS, `chunks of ${size} bytes`);
  }
});

test('the discarding endpoint counts the calls of otlp_in inserts sent in small writes', async () => {
  const server = await startDiscardClickHouse({ countSpans: false });
  try {
    const query = encodeURIComponent('INSERT INTO switchyard.otlp_in FORMAT JSONEachRow');
    for (const body of bodies) {
      await new Promise<void>((resolve, reject) => {
        const req = request(`${server.url}/?query=${query}`, { method: 'POST' }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
        });
        req.on('error', reject);
        for (let i = 0; i < body.length; i += 1000) req.write(body.subarray(i, i + 1000));
        req.end();
      });
    }
    const totals = server.totals();
    assert.equal(totals.rows.otlp_in, CALLS);
    assert.equal(totals.inserts, bodies.length);
    assert.equal(
      totals.bytes,
      bodies.reduce((a, b) => a + b.length, 0),
    );
  } finally {
    await server.close();
  }
});
