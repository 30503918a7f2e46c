import { type ClickHouseClient, ClickHouseLogLevel, type ClickHouseSettings as ServerSettings, createClient } from '@clickhouse/client';
import type { ClickHouseTarget } from './target.js';

/**
 * One `@clickhouse/client` for either target. The embedded chDB connection hook is experimental
 * upstream, so it is imported lazily, only when needed, behind a feature check.
 */
export const CLIENT_SETTINGS: ServerSettings = {
  // Versions differ in their default; we read 64-bit counters as JSON numbers (token counts fit).
  output_format_json_quote_64bit_integers: 0,
  date_time_input_format: 'best_effort',
};

export interface OpenClientOptions {
  requestTimeoutMs?: number;
  /** Extra per-client settings, for example async_insert. */
  settings?: ServerSettings;
}

interface ChdbConnectionModule {
  createChdbConnection(opts: { path: string }): unknown;
}

async function loadChdb(): Promise<ChdbConnectionModule> {
  try {
    const mod = (await import('chdb/connection')) as Partial<ChdbConnectionModule>;
    if (typeof mod.createChdbConnection !== 'function') throw new Error('createChdbConnection missing');
    return mod as ChdbConnectionModule;
  } catch (err) {
    throw new Error(
      `embedded ClickHouse needs the optional package chdb (chdb/connection): ${(err as Error).message}. ` +
        'Set telemetry.clickhouse.url or CLICKHOUSE_URL to use a server instead.',
    );
  }
}

export async function openClient(target: ClickHouseTarget, opts: OpenClientOptions = {}): Promise<ClickHouseClient> {
  const clickhouse_settings = { ...CLIENT_SETTINGS, ...opts.settings };
  if (target.kind === 'http') {
    const config: Parameters<typeof createClient>[0] = {
      url: target.url,
      clickhouse_settings,
      request_timeout: opts.requestTimeoutMs ?? 10_000,
      max_open_connections: 4,
      application: 'switchyard',
      // The sink logs insert failures itself, once per change; the client would log every retry.
      log: { level: ClickHouseLogLevel.OFF },
    };
    if (target.username !== undefined) config.username = target.username;
    if (target.password !== undefined) config.password = target.password;
    return createClient(config);
  }
  const chdb = await loadChdb();
  let connection: unknown;
  try {
    connection = chdb.createChdbConnection({ path: target.path });
  } catch (err) {
    throw new Error(
      `cannot open the embedded ClickHouse data dir ${target.path}: it is locked by another process ` +
        `(a running sidecar or switchyard command?) or unusable (${(err as Error).message}). ` +
        'Stop that process, or point at a server with --url / CLICKHOUSE_URL.',
    );
  }
  // The connection option is typed for client-common's Connection; chdb implements it exactly.
  return createClient({ connection, clickhouse_settings, log: { level: ClickHouseLogLevel.OFF } } as Parameters<typeof createClient>[0]);
}
