import type { ResolvedProvider } from '../providers/types.js';
import type { ListenAddress } from './listen-address.js';
import type { RawPrice } from './schema.js';

/** The resolved, deep-frozen config every module after the edge works with. */
export interface Target {
  provider: ResolvedProvider;
  model: string;
  /** `provider/model`, as used in fallback paths. */
  label: string;
}

export interface RetryPolicy {
  /** Attempts per target, including the first. */
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Upper bound for an upstream's Retry-After. */
  retryAfterCapMs: number;
}

export interface FeatureRoute {
  name: string;
  targets: readonly Target[];
  retry: RetryPolicy;
  timeoutMs: number;
  modelOverride: boolean;
  fallbackOnClientError: boolean;
}

export interface TelemetryConfig {
  serviceName: string;
  otlp?: { endpoint?: string; headers?: Readonly<Record<string, string>> };
  captureContent: boolean;
  /** The raw `telemetry.clickhouse` section, already validated by the ClickHouse settings schema. */
  clickhouse?: unknown;
}

export interface Config {
  /** Short sha256 of the config text; tags every span and ledger row. */
  hash: string;
  /** File path, or `embedded` for the built-in demo config. */
  source: string;
  server: {
    listen: ListenAddress;
    healthListen: ListenAddress;
    maxBodyBytes: number;
    shutdownGraceMs: number;
    /** SHA-256 digests of the accepted client tokens (server.client_tokens_file); absent = no check. */
    clientTokenDigests?: readonly Buffer[];
  };
  providers: ReadonlyMap<string, ResolvedProvider>;
  models: ReadonlyMap<string, Target>;
  features: ReadonlyMap<string, FeatureRoute>;
  defaultFeature?: string;
  pricing: Readonly<Record<string, RawPrice>>;
  telemetry: TelemetryConfig;
  simulator?: ListenAddress & { errorRate: number; latencyMs: number };
  /** Files the config depends on (the config itself, api_key_file paths), for hot reload. */
  watchedFiles: readonly string[];
}
