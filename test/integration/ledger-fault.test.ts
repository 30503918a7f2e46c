import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createClient } from '@clickhouse/client';
import OpenAI from 'openai';
import { computeCost } from '../../src/pricing/index.js';
import { type TestClickHouseServer, startClickHouseServer } from '../support/clickhouse-server.js';
import { loadFixture } from '../support/fixtures.js';
import { type MockUpstream, startMockUpstream } from '../support/mock-upstream.js';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.js';
import { type SpawnedSidecar, spawnSidecar } from '../support/spawn-sidecar.js';
import { until } from '../support/until.js';

/**
 * The durability promise, end to end, with real processes: `switchyard serve` writing to a real
 * ClickHouse server. ClickHouse stops in the middle of 1,100 calls, the sidecar is SIGTERMed and
 * restarted while it is down, ClickHouse comes back: every call is in the ledger exactly once.
 * With the span ledger the sidecar also exports its spans over OTLP, so the ledger gets the sampled
 * spans from the OTLP batcher's queue, and the collector goes away too, mid-run, for good.
 */
// Both ledger sources: the calls' spans into otlp_in (the default), and one ai_calls_in_v2 row per call.
for (const source of ['rows', 'spans'] as const)
  describe(`ledger fault (ledger from ${source}): ClickHouse down mid-run, sidecar restarted, nothing lost or doubled`, () => {
    let ch: TestClickHouseServer;
    let upstream: MockUpstream;
    let otlp: OtlpReceiver;
    let configPath: string;
    let spoolDir: string;

    before(async () => {
      ch = await startClickHouseServer();
      upstream = await startMockUpstream();
      otlp = await startOtlpReceiver();
      const f = loadFixture('openai/chat-completion-tool-calls');
      upstream.setFallback({ kind: 'bytes', status: 200, contentType: f.contentType, body: f.body });
      const dir = mkdtempSync(join(tmpdir(), 'switchyard-ledger-fault-'));
      configPath = join(dir, 'switchyard.yaml');
      spoolDir = join(dir, 'spool');
      writeFileSync(
        configPath,
        `server: { listen: 127.0.0.1:0, health_listen: 127.0.0.1:0, shutdown_grace_ms: 5000 }
providers:
  primary: { protocol: openai, base_url: ${upstream.baseUrl}, api_key: sk-fault-test }
features:
  support-chat: { targets: [ { provider: primary, model: gpt-4o-mini } ], retry: { max_attempts: 1 } }
default_feature: support-chat
telemetry:
${source === 'spans' ? `  otlp: { endpoint: ${otlp.url} }\n` : ''}  clickhouse:
    url: ${ch.url}
    database: switchyard
    ledger_source: ${source}
    request_timeout_ms: 2000
    batch: { max_rows: 100, max_delay_ms: 50 }
    spool: { dir: ${spoolDir} }
`,
      );
    });
    after(async () => {
      await upstream?.close();
      await otlp?.close().catch(() => {}); // closed already by the spans test
      await ch?.dispose();
    });

    async function drive(sc: SpawnedSidecar, calls: number, onCall?: (i: number) => Promise<void>): Promise<number> {
      const client = new OpenAI({ baseURL: `${sc.apiUrl}/v1`, apiKey: 'app', maxRetries: 0 });
      let ok = 0;
      for (let i = 0; i < calls; i += 10) {
        await onCall?.(i);
        if (i % 100 === 0) process.stderr.write(`# ledger fault: ${i}/${calls} calls on this sidecar\n`);
        const batch = Array.from({ length: Math.min(10, calls - i) }, () =>
          client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }).then(() => ok++),
        );
        await Promise.all(batch);
      }
      return ok;
    }

    type SinkState = { state: string; queued: number; spooled: number };

    test('1,100 calls: count(), distinct call ids and sum(cost_usd) equal what was sent', async () => {
      let sent = 0;
      // A short export timeout: the SIGTERM flush gives up on the gone collector quickly.
      const env = { OTEL_BSP_EXPORT_TIMEOUT: '1000' };
      const first = await spawnSidecar(configPath, env);
      sent += await drive(first, 500, async (i) => {
        if (i === 250) await ch.stop(); // ClickHouse goes away mid-run; the app must not notice
        if (i === 400 && source === 'spans') {
          // The collector got the spans (so the ledger took them from the OTLP batcher), then goes.
          await otlp.waitForSpans((spans) => spans.length > 0);
          await otlp.close();
        }
      });
      const health = (await (await fetch(`${first.healthUrl}/readyz`)).json()) as {
        status: string;
        sinks: Array<{ state: string; spooled: number; ledger: string }>;
      };
      assert.equal(health.status, 'ready', '/readyz stays green while ClickHouse is down');
      assert.equal(health.sinks[0]?.state, 'degraded');
      assert.equal(health.sinks[0]?.ledger, source);
      assert.equal(await first.stop(), 0, 'SIGTERM spools what it cannot write and exits 0');

      const second = await spawnSidecar(configPath, env); // restarted while ClickHouse is still down
      sent += await drive(second, 300);
      await ch.start();
      sent += await drive(second, 300);
      // ClickHouse is back: the sidecar replays the spool (both sidecars' batches) once its back-off
      // (up to 30 s) ends. A SIGTERM before then keeps what is left in the spool for the next start,
      // which is the promise; here the sidecar stays up until its health shows it all written.
      await until(
        async () => {
          const sink = ((await (await fetch(`${second.healthUrl}/readyz`)).json()) as { sinks: SinkState[] }).sinks[0];
          return sink?.state === 'ok' && sink.spooled === 0 && sink.queued === 0;
        },
        'the spool replayed',
        60_000,
        100,
      );
      assert.equal(await second.stop(), 0);
      assert.equal(sent, 1100, 'the app saw every call succeed');
      assert.deepEqual(readdirSync(spoolDir), [], 'the spool is empty after the replay (and nothing was rejected)');

      const client = createClient({ url: ch.url });
      try {
        const rows = await (
          await client.query({
            query: 'SELECT count() AS n, uniqExact(call_id) AS ids, sum(cost_usd) AS cost FROM switchyard.ai_calls',
            format: 'JSONEachRow',
          })
        ).json<{ n: string; ids: string; cost: number }>();
        const perCall = computeCost({
          provider: 'primary',
          model: 'gpt-4o-mini-2024-07-18',
          usage: { inputTokens: 75, outputTokens: 51, cacheReadTokens: 0, reasoningTokens: 0 },
        });
        assert.ok(perCall !== null && perCall > 0);
        assert.equal(Number(rows[0]?.n), sent, 'zero lost, zero duplicated');
        assert.equal(Number(rows[0]?.ids), sent);
        assert.ok(Math.abs((rows[0]?.cost ?? 0) - perCall * sent) < 1e-9, `sum(cost_usd) ${rows[0]?.cost} = ${perCall * sent}`);
      } finally {
        await client.close();
      }
    });
  });
