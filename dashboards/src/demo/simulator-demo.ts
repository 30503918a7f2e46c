import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import OpenAI from 'openai';
import { loadConfigText } from '../../../src/config/load.js';
import { createLogger } from '../../../src/core/log.js';
import { startSidecar } from '../../../src/main.js';
import { freePort, startLocalClickHouse } from '../../../src/sinks/clickhouse/local-server.js';
import { CLIENT_SETTINGS } from '../../../src/sinks/clickhouse/open-client.js';
import { DATABASE } from '../constants.js';

/**
 * A real demo run, the way a user would make one: a local ClickHouse (chDB's server), a sidecar
 * started from a YAML config whose only provider is the built-in LOCAL SIMULATOR (simulated
 * prices under `pricing:`, a few simulated 503s so fallbacks happen), four features, and traffic
 * from the official openai SDK. The sidecar writes its own ledger through `telemetry.clickhouse`.
 * Returns the ledger rows the run left in `switchyard.ai_calls` and a way to query them.
 */
export interface DemoFeature {
  feature: string;
  /** Calls per tick at time fraction x ∈ [0, 1). */
  rate: (x: number) => number;
  /** Prompt length in characters (the simulator counts about 4 characters per token). */
  promptChars: number;
}

export const DEMO_FEATURES: readonly DemoFeature[] = [
  { feature: 'support-chat', rate: () => 1.2, promptChars: 2400 },
  { feature: 'coding', rate: (x) => 0.2 + 0.6 * x, promptChars: 6000 },
  { feature: 'search', rate: (x) => 0.6 + 0.5 * Math.sin(x * 2 * Math.PI), promptChars: 1200 },
  { feature: 'background-jobs', rate: (x) => (x > 0.45 && x < 0.65 ? 2.5 : 0.1), promptChars: 4000 },
];

export function demoYaml(opts: { simulatorPort: number; clickhouseUrl: string; spoolDir: string }): string {
  return `# Switchyard demo: the only provider is the LOCAL SIMULATOR built into the sidecar (not a real AI provider).
server: { listen: 127.0.0.1:0, health_listen: 127.0.0.1:0 }
simulator: { listen: 127.0.0.1:${opts.simulatorPort}, error_rate: 0.04, latency_ms: 20 }
providers:
  local-simulator: { preset: simulator, base_url: http://127.0.0.1:${opts.simulatorPort}/v1 }
features:
  support-chat:
    targets: [ { provider: local-simulator, model: sim-fast }, { provider: local-simulator, model: sim-smart } ]
    retry: { max_attempts: 1 }
  coding:
    targets: [ { provider: local-simulator, model: sim-smart }, { provider: local-simulator, model: sim-fast } ]
    retry: { max_attempts: 1 }
  search:
    targets: [ { provider: local-simulator, model: sim-fast } ]
    retry: { max_attempts: 2, initial_backoff_ms: 10, max_backoff_ms: 50 }
  background-jobs:
    targets: [ { provider: local-simulator, model: sim-batch } ]
    retry: { max_attempts: 2, initial_backoff_ms: 10, max_backoff_ms: 50 }
default_feature: support-chat
pricing:
  # Simulated prices (USD per 1M tokens) so the demo ledger shows costs; not a real price list.
  local-simulator/sim-fast: { input: 0.15, output: 0.60, cached_input: 0.075 }
  local-simulator/sim-smart: { input: 2.50, output: 10.00, cached_input: 1.25 }
  local-simulator/sim-batch: { input: 0.50, output: 1.50 }
telemetry:
  service_name: switchyard
  capture_content: false
  clickhouse: { url: "${opts.clickhouseUrl}", database: ${DATABASE}, batch: { max_delay_ms: 200 }, spool: { dir: "${opts.spoolDir}" } }
`;
}

/** The ledger columns the chart's panel reads, plus the key columns so the rows stay distinct. */
export interface DemoLedgerRow {
  call_id: string;
  ts: string;
  feature: string;
  final_provider: string;
  final_model: string;
  namespace: string;
  workload: string;
  outcome: string;
  cost_usd: number | null;
}

export interface DemoRun {
  startMs: number;
  endMs: number;
  calls: number;
  ledger: DemoLedgerRow[];
  query<T>(sql: string): Promise<T[]>;
  close(): Promise<void>;
}

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function call(openai: OpenAI, content: string, stream: boolean): Promise<void> {
  try {
    const messages = [{ role: 'user' as const, content }];
    if (!stream) {
      await openai.chat.completions.create({ model: 'auto', messages });
      return;
    }
    for await (const _ of await openai.chat.completions.create({ model: 'auto', stream: true, messages }));
  } catch {
    // Every target answered a simulated 503: the sidecar records the call as failed.
  }
}

export async function runSimulatorDemo(opts: { seconds: number; tickMs?: number; log?: (line: string) => void }): Promise<DemoRun> {
  const log = opts.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-demo-'));
  const clickhouse = await startLocalClickHouse({ dataDir: join(dir, 'clickhouse'), port: await freePort() });
  const client = createClient({ url: clickhouse.url, clickhouse_settings: CLIENT_SETTINGS });
  const close = async () => {
    await client.close();
    await clickhouse.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const yaml = demoYaml({ simulatorPort: await freePort(), clickhouseUrl: clickhouse.url, spoolDir: join(dir, 'spool') });
    // The OTel resource (namespace, workload) comes from the environment, as in a pod.
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'k8s.namespace.name=demo,k8s.deployment.name=demo-app';
    const config = loadConfigText(yaml, { source: 'demo.yaml', env: process.env });
    const sidecar = await startSidecar({ config, env: process.env, log: createLogger({ level: 'warn' }) });
    log(`sidecar ${sidecar.apiUrl}, local simulator ${sidecar.simulatorUrl}, ClickHouse ${clickhouse.url}`);
    const sdk = new Map(
      DEMO_FEATURES.map((f) => [
        f.feature,
        new OpenAI({
          baseURL: `${sidecar.apiUrl}/v1`,
          apiKey: 'demo-app-key',
          maxRetries: 0,
          defaultHeaders: { 'x-switchyard-feature': f.feature },
        }),
      ]),
    );
    const random = seeded(7);
    const tickMs = opts.tickMs ?? 250;
    const ticks = Math.round((opts.seconds * 1000) / tickMs);
    const startMs = Date.now();
    let calls = 0;
    for (let i = 0; i < ticks; i++) {
      const pending: Promise<void>[] = [];
      for (const f of DEMO_FEATURES) {
        const rate = f.rate(i / ticks);
        const n = Math.floor(rate) + (random() < rate - Math.floor(rate) ? 1 : 0);
        for (let k = 0; k < n; k++) {
          const content = 'lorem ipsum '.repeat(Math.round((f.promptChars * (0.5 + random())) / 12));
          pending.push(call(sdk.get(f.feature) as OpenAI, content, random() < 0.4));
          calls++;
        }
      }
      await Promise.all(pending);
      await new Promise((r) => setTimeout(r, Math.max(0, startMs + (i + 1) * tickMs - Date.now())));
    }
    const endMs = Date.now();
    await sidecar.shutdown('demo done'); // flushes the ledger
    const query = async <T>(sql: string) => (await client.query({ query: sql, format: 'JSONEachRow' })).json<T>();
    const ledger = await query<DemoLedgerRow>(
      `SELECT call_id, ts, feature, final_provider, final_model, namespace, workload, outcome, cost_usd FROM ${DATABASE}.ai_calls ORDER BY ts, call_id`,
    );
    log(`${calls} calls, ${ledger.length} ledger rows`);
    return { startMs, endMs, calls, ledger, query, close };
  } catch (err) {
    await close();
    throw err;
  }
}
