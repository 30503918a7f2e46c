import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchProcess, spawnPinned } from './procs.js';

/** The sidecar under test: a config file for the bench, and the process started from a compiled build. */
export interface SidecarConfigOptions {
  mockUrl: string;
  slowUrl: string;
  otlpUrl: string;
  /** A ClickHouse HTTP URL for the ledger, or null for `telemetry.clickhouse: false`. */
  clickhouseUrl: string | null;
  /** false for bench/discard-clickhouse.ts, which takes inserts only (no DDL). Default true. */
  clickhouseMigrate?: boolean;
  /** `telemetry.clickhouse.ledger_source` (default: the config's default, `spans`). */
  ledgerSource?: 'spans' | 'rows';
  spoolDir: string;
}

export const BENCH_FEATURE = 'bench-chat';
export const INCREMENTAL_FEATURE = 'bench-incremental';
export const LEDGER_DATABASE = 'switchyard_bench';

export function sidecarYaml(o: SidecarConfigOptions): string {
  const clickhouse = o.clickhouseUrl
    ? `{ url: ${o.clickhouseUrl}, database: ${LEDGER_DATABASE}, auto_migrate: ${o.clickhouseMigrate ?? true}, ${o.ledgerSource ? `ledger_source: ${o.ledgerSource}, ` : ''}spool: { dir: ${o.spoolDir} } }`
    : 'false';
  return `# Written by bench/sidecar.ts for one bench run.
server: { listen: 127.0.0.1:0, health_listen: 127.0.0.1:0, max_body_bytes: 1048576 }
providers:
  mock: { protocol: openai, base_url: ${o.mockUrl}/v1, api_key: sk-bench-provider-key }
  slowmock: { protocol: openai, base_url: ${o.slowUrl}/v1, api_key: sk-bench-provider-key }
features:
  ${BENCH_FEATURE}:
    targets: [ { provider: mock, model: gpt-4o-mini } ]
  ${INCREMENTAL_FEATURE}:
    targets: [ { provider: slowmock, model: gpt-4o-mini } ]
default_feature: ${BENCH_FEATURE}
telemetry:
  service_name: switchyard-bench
  otlp: { endpoint: ${o.otlpUrl} }
  capture_content: false
  clickhouse: ${clickhouse}
`;
}

export interface StartSidecarOptions extends SidecarConfigOptions {
  name: string;
  buildDir: string;
  workDir: string;
  core: number | null;
  /** Write a V8 CPU profile into this directory on exit. */
  cpuProfDir?: string;
  /** OTLP metric export interval (ms). */
  metricIntervalMs: number;
  /** V8 flags before the script (default none, as `npm start` and the image start it). */
  nodeFlags?: readonly string[];
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('OTEL_') || k === 'CLICKHOUSE_URL' || k === 'SWITCHYARD_CONFIG' || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** The sidecar's API origin from its "switchyard listening" log line. */
export function apiOrigin(ready: Record<string, unknown>): string {
  const api = String(ready.api ?? '');
  return api.startsWith('http') ? api : `http://${api}`;
}

export async function startBenchSidecar(o: StartSidecarOptions): Promise<{ proc: BenchProcess; origin: string; configPath: string }> {
  mkdirSync(o.workDir, { recursive: true });
  const configPath = join(o.workDir, `${o.name}.yaml`);
  writeFileSync(configPath, sidecarYaml(o));
  const nodeArgs = o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`, `--cpu-prof-name=${o.name}.cpuprofile`] : [];
  const proc = await spawnPinned({
    name: o.name,
    core: o.core,
    command: process.execPath,
    args: [...(o.nodeFlags ?? []), ...nodeArgs, join(import.meta.dirname, 'sidecar-main.mjs'), o.buildDir, 'serve', '--config', configPath],
    env: cleanEnv({ OTEL_METRIC_EXPORT_INTERVAL: String(o.metricIntervalMs), OTEL_METRIC_EXPORT_TIMEOUT: String(o.metricIntervalMs) }),
    isReady: (line) => line.msg === 'switchyard listening',
    timeoutMs: 90_000,
  });
  return { proc, origin: apiOrigin(proc.ready), configPath };
}
