import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ResolvedProvider } from '../providers/types.js';
import type { ConfigProblem } from './config-error.js';
import { suggest } from './format-issues.js';
import { parseListenAddress } from './listen-address.js';
import { resolveProvider } from './resolve-providers.js';
import type { RawConfig } from './schema.js';
import type { Config, FeatureRoute, Target } from './types.js';

export interface ResolveInput {
  raw: RawConfig;
  hash: string;
  source: string;
  env: NodeJS.ProcessEnv;
}

function unknownRef(kind: string, name: string, known: Iterable<string>): string {
  const list = [...known];
  const hint = suggest(name, list);
  return `unknown ${kind} "${name}"${hint ? ` (did you mean "${hint}"?)` : ` (known: ${list.join(', ') || 'none'})`}`;
}

/** Cross-references and defaults. Returns the config, or every problem found. */
export function resolveConfig(input: ResolveInput): { config?: Config; problems: ConfigProblem[] } {
  const { raw } = input;
  const problems: ConfigProblem[] = [];
  const files: string[] = [];

  const providers = new Map<string, ResolvedProvider>();
  for (const [name, p] of Object.entries(raw.providers)) {
    const resolved = resolveProvider(name, p, problems, files);
    if (resolved) providers.set(name, resolved);
  }
  const target = (path: string, t: { provider: string; model: string }): Target | undefined => {
    const provider = providers.get(t.provider);
    if (!provider) {
      if (!(t.provider in raw.providers))
        problems.push({ path: `${path}.provider`, message: unknownRef('provider', t.provider, Object.keys(raw.providers)) });
      return undefined;
    }
    return { provider, model: t.model, label: `${t.provider}/${t.model}` };
  };

  const models = new Map<string, Target>();
  for (const [alias, t] of Object.entries(raw.models)) {
    const resolved = target(`models.${alias}`, t);
    if (resolved) models.set(alias, resolved);
  }

  const features = new Map<string, FeatureRoute>();
  for (const [name, f] of Object.entries(raw.features)) {
    const targets: Target[] = [];
    f.targets.forEach((t, i) => {
      const resolved = target(`features.${name}.targets[${i}]`, t);
      if (resolved) targets.push(resolved);
    });
    if (f.retry.max_backoff_ms < f.retry.initial_backoff_ms) {
      problems.push({ path: `features.${name}.retry.max_backoff_ms`, message: 'must be at least initial_backoff_ms' });
    }
    features.set(name, {
      name,
      targets,
      retry: {
        maxAttempts: f.retry.max_attempts,
        initialBackoffMs: f.retry.initial_backoff_ms,
        maxBackoffMs: f.retry.max_backoff_ms,
        retryAfterCapMs: raw.server.retry_after_cap_ms,
      },
      timeoutMs: f.timeout_ms,
      modelOverride: f.model_override,
      fallbackOnClientError: f.fallback_on_client_error,
    });
  }
  if (Object.keys(raw.features).length === 0) problems.push({ path: 'features', message: 'needs at least one feature' });

  const envDefault = input.env.SWITCHYARD_DEFAULT_FEATURE || undefined;
  const defaultFeature = envDefault ?? raw.default_feature;
  if (defaultFeature !== undefined && !features.has(defaultFeature)) {
    problems.push({
      path: envDefault ? 'SWITCHYARD_DEFAULT_FEATURE' : 'default_feature',
      message: unknownRef('feature', defaultFeature, features.keys()),
    });
  }

  const clientTokenDigests = readClientTokens(raw, problems, files);

  if (problems.length > 0) return { problems };
  const simAddr = raw.simulator ? parseListenAddress(raw.simulator.listen) : undefined;
  const simulator =
    simAddr && raw.simulator ? { ...simAddr, errorRate: raw.simulator.error_rate, latencyMs: raw.simulator.latency_ms } : undefined;
  const config: Config = {
    hash: input.hash,
    source: input.source,
    server: {
      listen: parseListenAddress(raw.server.listen) as Config['server']['listen'],
      healthListen: parseListenAddress(raw.server.health_listen) as Config['server']['healthListen'],
      maxBodyBytes: raw.server.max_body_bytes,
      shutdownGraceMs: raw.server.shutdown_grace_ms,
      ...(clientTokenDigests ? { clientTokenDigests } : {}),
    },
    providers,
    models,
    features,
    ...(defaultFeature !== undefined ? { defaultFeature } : {}),
    pricing: raw.pricing,
    telemetry: {
      serviceName: raw.telemetry.service_name,
      ...(raw.telemetry.otlp ? { otlp: raw.telemetry.otlp } : {}),
      captureContent: raw.telemetry.capture_content,
      ...(raw.telemetry.clickhouse !== undefined ? { clickhouse: raw.telemetry.clickhouse } : {}),
    },
    ...(simulator ? { simulator } : {}),
    watchedFiles: files,
  };
  return { config: deepFreeze(config), problems };
}

/** Tokens from `server.client_tokens_file`: one per line, `#` comments and blank lines ignored. Kept as digests only. */
function readClientTokens(raw: RawConfig, problems: ConfigProblem[], files: string[]): Buffer[] | undefined {
  const file = raw.server.client_tokens_file;
  if (file === undefined) return undefined;
  const at = 'server.client_tokens_file';
  files.push(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    problems.push({ path: at, message: `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})` });
    return undefined;
  }
  const tokens = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (tokens.length === 0) problems.push({ path: at, message: `file ${file} holds no token` });
  for (const [name, p] of Object.entries(raw.providers)) {
    if (p.forward_client_key) {
      problems.push({
        path: `providers.${name}.forward_client_key`,
        message: 'cannot be true with server.client_tokens_file (the bearer token is then the Switchyard client token)',
      });
    }
  }
  return tokens.map((t) => createHash('sha256').update(t).digest());
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    if (value instanceof Map) for (const v of value.values()) deepFreeze(v);
    else for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
