import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { CallSink, ResourceInfo } from './core/call-record.js';
import { createLogger, type Logger } from './core/log.js';
import { formatListenAddress } from './config/listen-address.js';
import type { Config } from './config/types.js';
import { type ConfigHolder, watchConfig } from './config/watch.js';
import type { GatewayDeps } from './gateway/deps.js';
import { UpstreamClient } from './gateway/upstream-client.js';
import { createPricing } from './pricing/index.js';
import { adapterFor } from './providers/index.js';
import { createApiServer, fastFrontEnabled } from './server/api-server.js';
import { createHealthServer } from './server/health-server.js';
import { startSimulator } from './simulator/simulator.js';
import type { EndedSpanSink } from './telemetry/ended-span.js';
import { type Telemetry, startTelemetry } from './telemetry/setup.js';

/**
 * The composition root: config → adapters, telemetry, sinks → servers. The only module that
 * imports every folder. `startSidecar` is used by `switchyard serve` and by the integration tests.
 */
export interface StartOptions {
  config: Config;
  /** Enables hot reload of this file (and its key files). */
  configPath?: string;
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** Test seam: a telemetry runtime instead of the process-global NodeSDK one. */
  telemetry?: (sinks: CallSink[]) => Promise<Telemetry>;
  /** Test seam: these sinks instead of the ones the config asks for. */
  sinks?: CallSink[];
}

export interface RunningSidecar {
  apiUrl: string;
  healthUrl: string;
  simulatorUrl?: string;
  config(): Config;
  holder?: ConfigHolder;
  resource: ResourceInfo;
  /** Stop accepting, finish in-flight calls (streams included) within the grace period, flush. */
  shutdown(reason?: string): Promise<void>;
}

async function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}

const urlOf = (a: AddressInfo) => `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;

export async function startSidecar(opts: StartOptions): Promise<RunningSidecar> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? createLogger();
  const initial = opts.config;
  const holder = opts.configPath ? watchConfig({ path: opts.configPath, initial, log, env }) : undefined;
  const current = () => holder?.current ?? initial;

  const sinks: CallSink[] = opts.sinks ?? (await ledgerSinks(initial, env, log));
  const telemetry = opts.telemetry
    ? await opts.telemetry(sinks)
    : await startTelemetry({
        serviceName: initial.telemetry.serviceName,
        ...(initial.telemetry.otlp?.endpoint ? { otlpEndpoint: initial.telemetry.otlp.endpoint } : {}),
        ...(initial.telemetry.otlp?.headers ? { otlpHeaders: { ...initial.telemetry.otlp.headers } } : {}),
        captureContent: initial.telemetry.captureContent,
        sinks,
        sinkHealth: () => sinks.map((s) => s.health()),
        // otel_traces: lean spans go to the sink as they end; SDK spans through its exporter.
        spanSinks: sinks.filter((s): s is CallSink & EndedSpanSink => 'writeSpan' in s && 'spanExporter' in s),
      });
  const pricing = createPricing({ overrides: () => current().pricing, log });
  const client = new UpstreamClient();
  const deps: GatewayDeps = {
    client,
    recorder: telemetry.recorder,
    cost: pricing.cost,
    priceTableVersion: pricing.version,
    resource: telemetry.resource,
    adapterFor,
    log,
    maxResponseBytes: 64 * 1024 * 1024,
  };

  const simulator = initial.simulator
    ? await startSimulator({
        host: initial.simulator.host,
        port: initial.simulator.port,
        errorRate: initial.simulator.errorRate,
        latencyMs: initial.simulator.latencyMs,
      })
    : undefined;
  const api = createApiServer({ deps, config: current, fastHttp: fastFrontEnabled(env) });
  let draining = false;
  let ready = false;
  const health = createHealthServer({
    state: {
      ready: () => ready,
      draining: () => draining,
      configHash: () => current().hash,
      inflight: api.inflight,
      sinks: () => sinks.map((s) => s.health()),
    },
    metrics: telemetry.prometheusHandler,
  });
  const apiAddr = await listen(api.server, initial.server.listen.host, initial.server.listen.port);
  const healthAddr = await listen(health, initial.server.healthListen.host, initial.server.healthListen.port);
  ready = true;
  log.info('switchyard listening', {
    api: formatListenAddress({ host: apiAddr.address, port: apiAddr.port }),
    health: formatListenAddress({ host: healthAddr.address, port: healthAddr.port }),
    config: initial.source,
    config_hash: initial.hash,
    features: [...initial.features.keys()],
    sinks: sinks.map((s) => s.name),
    ...(simulator
      ? {
          simulator: `local simulator (not a real provider) on ${formatListenAddress(initial.simulator as { host: string; port: number })}`,
        }
      : {}),
  });

  let stopping: Promise<void> | undefined;
  const shutdown = (reason = 'shutdown'): Promise<void> => {
    if (!stopping) stopping = stop(reason);
    return stopping;
  };
  const stop = async (reason: string): Promise<void> => {
    draining = true;
    log.info('switchyard draining', { reason, inflight: api.inflight() });
    holder?.close();
    api.drain();
    const closed = new Promise<void>((resolve) => api.server.close(() => resolve()));
    api.closeIdleConnections();
    const grace = current().server.shutdownGraceMs;
    const deadline = Date.now() + grace;
    while (api.inflight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    if (api.inflight() > 0) log.warn('grace period over; closing remaining connections', { inflight: api.inflight(), grace_ms: grace });
    api.closeAllConnections();
    await closed;
    // Telemetry first (its span processors feed the ClickHouse sink), then the sinks; every step bounded.
    log.debug('shutdown: api closed; flushing telemetry');
    await bounded(telemetry.forceFlush(), 5000, 'telemetry flush', log);
    await bounded(telemetry.shutdown(), 5000, 'telemetry shutdown', log);
    log.debug('shutdown: telemetry stopped; closing sinks');
    for (const s of sinks) await bounded(s.close(), 15_000, `sink ${s.name} close`, log);
    log.debug('shutdown: sinks closed');
    await client.close().catch(() => undefined);
    await new Promise<void>((resolve) => health.close(() => resolve()));
    health.closeAllConnections();
    if (simulator) {
      simulator.closeAllConnections();
      await new Promise<void>((resolve) => simulator.close(() => resolve()));
    }
    log.info('switchyard stopped', { reason });
  };

  return {
    apiUrl: urlOf(apiAddr),
    healthUrl: urlOf(healthAddr),
    ...(simulator && initial.simulator
      ? { simulatorUrl: `http://${initial.simulator.host}:${(simulator.address() as AddressInfo).port}` }
      : {}),
    config: current,
    ...(holder ? { holder } : {}),
    resource: telemetry.resource,
    shutdown,
  };
}

/** The ClickHouse ledger the config asks for (server, or embedded chDB by default); none when `telemetry.clickhouse: false`. */
async function ledgerSinks(config: Config, env: NodeJS.ProcessEnv, log: Logger): Promise<CallSink[]> {
  const section = config.telemetry.clickhouse;
  if (section === false) return [];
  const { createClickHouseSink } = await import('./sinks/clickhouse/sink.js');
  const { parseClickHouseSettings } = await import('./sinks/clickhouse/settings.js');
  const sink = await createClickHouseSink(parseClickHouseSettings(section ?? {}), { env, log: (line: string) => log.info(line) });
  return [sink];
}

/** Awaits a shutdown step, but never longer than `ms`: a stuck exporter must not keep the pod alive. */
async function bounded(step: Promise<unknown>, ms: number, what: string, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    const result = await Promise.race([step.then(() => 'done' as const), timeout]);
    if (result === 'timeout') log.warn(`${what} did not finish in ${ms} ms; continuing shutdown`);
  } catch (e) {
    log.warn(`${what} failed`, { error: (e as Error).message });
  } finally {
    clearTimeout(timer);
  }
}
