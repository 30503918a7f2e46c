/**
 * The built-in config `npm start` / `switchyard serve` uses when no config is given. Its only
 * provider is the LOCAL SIMULATOR the sidecar itself serves on 127.0.0.1:4010: a fake
 * OpenAI-compatible upstream for demos and smoke tests. No provider key, no network.
 */
export const EMBEDDED_DEFAULT_CONFIG = `# Switchyard embedded default config (demo). Provider "local-simulator" is NOT a real AI provider:
# it is a simulator built into the sidecar that answers with canned text and plausible usage.
server:
  listen: 127.0.0.1:4000
  health_listen: 0.0.0.0:4001
simulator:
  listen: 127.0.0.1:4010
providers:
  local-simulator:
    preset: simulator
    base_url: http://127.0.0.1:4010/v1
models:
  fast: { provider: local-simulator, model: sim-fast }
  smart: { provider: local-simulator, model: sim-smart }
features:
  demo:
    targets:
      - { provider: local-simulator, model: sim-fast }
      - { provider: local-simulator, model: sim-smart }
    retry: { max_attempts: 2, initial_backoff_ms: 100, max_backoff_ms: 2000 }
    timeout_ms: 30000
default_feature: demo
pricing:
  # Simulated prices (USD per 1M tokens) so the demo ledger shows costs; not a real price list.
  local-simulator/sim-fast: { input: 0.15, output: 0.60, cached_input: 0.075 }
  local-simulator/sim-smart: { input: 2.50, output: 10.00, cached_input: 1.25 }
telemetry:
  service_name: switchyard
  capture_content: false
`;
