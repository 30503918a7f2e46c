import type { CallRecord } from '../../../src/core/call-record.js';

/**
 * A deterministic two-hour day of gateway traffic as CallRecords: four features on four
 * namespaces/workloads, fallbacks, retries, failures, streamed calls, cache reads, one unpriced
 * model, and a burst in the last ten minutes where the primary of support-chat fails (fallback
 * spike, error rate). Used to seed ClickHouse for the dashboard SQL tests and the README chart.
 */
export const DEMO_START_MS = Date.UTC(2025, 0, 15, 10, 0, 0);
export const DEMO_END_MS = DEMO_START_MS + 2 * 3600_000;

interface Target {
  provider: string;
  model: string;
}
interface FeatureProfile {
  feature: string;
  weight: number;
  namespace: string;
  workload: string;
  targets: [Target, Target];
}

const FEATURES: FeatureProfile[] = [
  {
    feature: 'support-chat',
    weight: 0.45,
    namespace: 'shop',
    workload: 'support-api',
    targets: [
      { provider: 'openai', model: 'gpt-4o-mini' },
      { provider: 'anthropic', model: 'claude-3-5-haiku-20241022' },
    ],
  },
  {
    feature: 'search-summarize',
    weight: 0.3,
    namespace: 'shop',
    workload: 'search-api',
    targets: [
      { provider: 'openai', model: 'gpt-4o' },
      { provider: 'deepseek', model: 'deepseek-chat' },
    ],
  },
  {
    feature: 'code-review',
    weight: 0.2,
    namespace: 'platform',
    workload: 'review-bot',
    targets: [
      { provider: 'anthropic', model: 'claude-sonnet-4-20250514' },
      { provider: 'openai', model: 'gpt-4.1' },
    ],
  },
  {
    feature: 'labs-playground',
    weight: 0.05,
    namespace: 'labs',
    workload: 'playground',
    targets: [
      { provider: 'sim', model: 'sim-1' },
      { provider: 'sim', model: 'sim-1-backup' },
    ],
  },
];

/** USD per million tokens: input, cached input, output. `sim` models have no price (cost NULL). */
const PRICES: Record<string, [number, number, number]> = {
  'gpt-4o-mini': [0.15, 0.075, 0.6],
  'gpt-4o': [2.5, 1.25, 10],
  'gpt-4.1': [2, 0.5, 8],
  'claude-3-5-haiku-20241022': [0.8, 0.08, 4],
  'claude-sonnet-4-20250514': [3, 0.3, 15],
  'deepseek-chat': [0.27, 0.07, 1.1],
};

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (random: () => number, bytes: number) =>
  Array.from({ length: bytes }, () =>
    Math.floor(random() * 256)
      .toString(16)
      .padStart(2, '0'),
  ).join('');

function pick(random: () => number): FeatureProfile {
  let x = random();
  for (const f of FEATURES) {
    x -= f.weight;
    if (x < 0) return f;
  }
  return FEATURES[0] as FeatureProfile;
}

function cost(model: string, input: number, cacheRead: number, output: number): number | null {
  const p = PRICES[model];
  if (!p) return null;
  return Math.round((((input - cacheRead) * p[0] + cacheRead * p[1] + output * p[2]) / 1e6) * 1e9) / 1e9;
}

function call(random: () => number, at: number, f: FeatureProfile, primaryFailure: number): CallRecord {
  const retried = random() < 0.12;
  const primaryFailed = random() < primaryFailure;
  const backupFailed = primaryFailed && random() < 0.3;
  const final = primaryFailed ? f.targets[1] : f.targets[0];
  const path = primaryFailed ? f.targets.map((t) => `${t.provider}/${t.model}`) : [`${f.targets[0].provider}/${f.targets[0].model}`];
  const ok = !backupFailed;
  const input = 200 + Math.floor(random() * 2800);
  const cacheRead = random() < 0.5 ? Math.floor(input * (0.3 + random() * 0.5)) : 0;
  const output = ok ? 50 + Math.floor(random() * 750) : 0;
  const reasoning = ok && f.feature === 'code-review' ? Math.floor(output / 3) : 0;
  const streamed = random() < 0.5;
  const latency = Math.round((250 + random() * 3500 + (primaryFailed ? 800 : 0)) * 10) / 10;
  const ttfc = streamed && ok ? Math.round((80 + random() * 700) * 10) / 10 : undefined;
  const callId = hex(random, 16);
  return {
    callId,
    startedAtMs: Math.floor(at),
    traceId: hex(random, 16),
    spanId: hex(random, 8),
    feature: f.feature,
    route: f.feature,
    operation: 'chat',
    path: '/v1/chat/completions',
    streamed,
    requestedModel: f.targets[0].model,
    finalProvider: final.provider,
    finalModel: final.model,
    outcome: ok ? 'ok' : 'error',
    ...(ok ? {} : { errorType: 'upstream_unavailable' }),
    httpStatus: ok ? 200 : 503,
    attemptCount: path.length + (retried ? 1 : 0),
    retryCount: retried ? 1 : 0,
    fallbackPath: path,
    latencyMs: latency,
    ...(ttfc !== undefined ? { timeToFirstChunkMs: ttfc } : {}),
    overheadMs: Math.round((0.4 + random() * 2) * 100) / 100,
    usage: ok
      ? { inputTokens: input, outputTokens: output, cacheReadTokens: cacheRead, cacheWriteTokens: 0, reasoningTokens: reasoning }
      : {},
    costUsd: ok ? cost(final.model, input, cacheRead, output) : final.provider === 'sim' ? null : 0,
    priceTableVersion: '2025-01-01',
    configHash: 'demo0000config',
    resource: { service: 'switchyard', namespace: f.namespace, pod: `${f.workload}-7d9f-${f.namespace}`, workload: f.workload },
    attempts: [],
  };
}

export function demoTraffic(opts: { calls?: number; burstCalls?: number; seed?: number } = {}): CallRecord[] {
  const random = mulberry32(opts.seed ?? 42);
  const n = opts.calls ?? 600;
  const records: CallRecord[] = [];
  // Before the dashboards' time range: must be filtered out.
  for (let i = 0; i < 5; i++) records.push(call(random, DEMO_START_MS - 5400_000 + i * 60_000, pick(random), 0.1));
  for (let i = 0; i < n; i++) {
    records.push(call(random, DEMO_START_MS + (i * (DEMO_END_MS - DEMO_START_MS - 600_000)) / n, pick(random), 0.08));
  }
  // The last ten minutes: support-chat's primary (openai/gpt-4o-mini) fails most calls.
  const burst = opts.burstCalls ?? 160;
  const supportChat = FEATURES[0] as FeatureProfile;
  for (let i = 0; i < burst; i++) {
    const f = i % 2 === 0 ? supportChat : pick(random);
    records.push(call(random, DEMO_END_MS - 600_000 + (i * 599_000) / burst, f, f === supportChat ? 0.7 : 0.08));
  }
  return records;
}
