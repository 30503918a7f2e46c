/** Config YAML builders for integration tests: one or two mock upstreams behind a feature. */
export function twoProviderYaml(opts: {
  primary: string;
  secondary?: string;
  retry?: { max_attempts: number; initial_backoff_ms?: number; max_backoff_ms?: number };
  timeoutMs?: number;
  extra?: string;
  captureContent?: boolean;
  modelOverride?: boolean;
}): string {
  const retry = opts.retry ?? { max_attempts: 1 };
  return `server: { listen: 127.0.0.1:0, health_listen: 127.0.0.1:0, max_body_bytes: 65536, shutdown_grace_ms: 5000 }
providers:
  primary: { protocol: openai, base_url: ${opts.primary}, api_key: sk-primary-SECRET-0001 }
${opts.secondary ? `  backup: { preset: deepseek, base_url: ${opts.secondary}, api_key: sk-backup-SECRET-0002 }\n` : ''}models:
  fast: { provider: primary, model: gpt-4o-mini }
features:
  support-chat:
    targets:
      - { provider: primary, model: gpt-4o-mini }
${opts.secondary ? '      - { provider: backup, model: deepseek-chat }\n' : ''}    retry: { max_attempts: ${retry.max_attempts}, initial_backoff_ms: ${retry.initial_backoff_ms ?? 1}, max_backoff_ms: ${retry.max_backoff_ms ?? 5} }
    timeout_ms: ${opts.timeoutMs ?? 5000}
    model_override: ${opts.modelOverride ?? true}
  coding:
    targets: [ { provider: primary, model: gpt-4.1 } ]
default_feature: support-chat
telemetry: { service_name: switchyard-test, capture_content: ${opts.captureContent ?? false}, clickhouse: false }
${opts.extra ?? ''}`;
}
