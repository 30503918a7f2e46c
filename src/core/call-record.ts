import type { Usage } from './usage.js';

/**
 * What one call through the gateway leaves behind: the source of the SERVER span, the CLIENT
 * spans, the metrics and the ClickHouse ledger row (`ai_calls`) with its attempts (`ai_attempts`).
 * Never carries provider keys; carries prompt/completion text only when content capture is on.
 */
export type Operation = 'chat' | 'embeddings' | 'passthrough';
export type Outcome = 'ok' | 'error';

export interface AttemptRecord {
  /** 0-based position in the call. */
  index: number;
  /** 0-based position of the target in the route (fallback step). */
  targetIndex: number;
  /** 1-based try number on this target (retries of the same target count up). */
  tryNumber: number;
  provider: string;
  /** Provider kind for gen_ai.provider.name, for example `openai`, `deepseek`. */
  providerName: string;
  model: string;
  responseModel?: string;
  responseId?: string;
  finishReasons?: string[];
  startedAtMs: number;
  durationMs: number;
  timeToFirstChunkMs?: number;
  httpStatus?: number;
  outcome: Outcome;
  /** ErrorKind when the attempt failed. */
  errorType?: string;
  usage?: Usage;
  costUsd: number | null;
  serverAddress: string;
  serverPort?: number;
  spanId?: string;
}

export interface ResourceInfo {
  service: string;
  namespace: string;
  pod: string;
  workload: string;
}

export interface CallRecord {
  callId: string;
  startedAtMs: number;
  traceId: string;
  spanId: string;
  feature: string;
  /** Route label: the feature's name, or `alias:<name>` when an alias chose the first target. */
  route: string;
  operation: Operation;
  /** API path for passthrough calls, for example `/v1/images/generations`. */
  path: string;
  streamed: boolean;
  requestedModel: string;
  finalProvider: string;
  finalModel: string;
  outcome: Outcome;
  errorType?: string;
  httpStatus: number;
  attemptCount: number;
  retryCount: number;
  /** `provider/model` per target tried, in order, without repeats for retries. */
  fallbackPath: string[];
  latencyMs: number;
  timeToFirstChunkMs?: number;
  overheadMs: number;
  usage: Usage;
  costUsd: number | null;
  priceTableVersion: string;
  configHash: string;
  resource: ResourceInfo;
  attempts: AttemptRecord[];
  /** Only with telemetry.capture_content: true. */
  content?: { input?: string; output?: string };
}

/** Where finished call records go (ClickHouse ledger, …). A disabled sink is a null object. */
export interface SinkHealth {
  name: string;
  state: 'ok' | 'degraded' | 'disabled';
  queued: number;
  spooled: number;
  spoolDroppedTotal: number;
  lastError: string | null;
  lastErrorAt: string | null;
}

export interface CallSink {
  readonly name: string;
  /** Must never throw and never block the request path. */
  write(record: CallRecord): void;
  /** Flush what is queued (or spool it); resolves when done. */
  flush(): Promise<void>;
  /** Flush, spool what cannot be written, release resources. */
  close(): Promise<void>;
  health(): SinkHealth;
}

export const NULL_SINK: CallSink = {
  name: 'none',
  write() {},
  async flush() {},
  async close() {},
  health: () => ({
    name: 'none',
    state: 'disabled',
    queued: 0,
    spooled: 0,
    spoolDroppedTotal: 0,
    lastError: null,
    lastErrorAt: null,
  }),
};
