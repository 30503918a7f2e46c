import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { freePort, type LocalServer, startLocalClickHouse } from '../../src/sinks/clickhouse/local-server.js';
import { openClient } from '../../src/sinks/clickhouse/open-client.js';
import type { ClickHouseTarget } from '../../src/sinks/clickhouse/target.js';

/**
 * A real ClickHouse HTTP server (chDB's libchdb.so behind scripts/clickhouse-dev.py) on a free
 * loopback port with a temp data dir. `stop()` then `start()` (or `restart()`) brings it back on
 * the SAME data dir and port, for fault tests. `dispose()` stops it and removes a temp dir.
 */
export interface TestClickHouseServer {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly running: boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startClickHouseServer(opts: { dataDir?: string; port?: number } = {}): Promise<TestClickHouseServer> {
  const ownsDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'switchyard-ch-'));
  const port = opts.port ?? (await freePort());
  let current: LocalServer | null = await startLocalClickHouse({ dataDir, port });
  const url = current.url;
  const server: TestClickHouseServer = {
    url,
    port,
    dataDir,
    get running() {
      return current !== null;
    },
    async stop() {
      const s = current;
      current = null;
      await s?.stop();
    },
    async start() {
      if (current) return;
      current = await startLocalClickHouse({ dataDir, port });
    },
    async restart() {
      await server.stop();
      await server.start();
    },
    async dispose() {
      await server.stop();
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

/**
 * One ClickHouse for a suite that runs against both kinds: a real server over HTTP, or the
 * embedded chDB in this process (one data dir per process; scenarios use separate databases).
 */
export type BackendKind = 'server' | 'embedded';
export const BACKENDS: readonly BackendKind[] = ['server', 'embedded'];

export interface TestBackend {
  kind: BackendKind;
  /** `telemetry.clickhouse` connection fields for this backend (url, or path for embedded). */
  connection: { url?: string; path?: string };
  /** The same connection as `switchyard` CLI flags. */
  cliFlags: string[];
  /** Present for `server`: stop/start it for fault tests. */
  server?: TestClickHouseServer;
  /** A client for assertions (shares the process's chDB session when embedded). */
  client(): Promise<ClickHouseClient>;
  /** Closes the assertion clients (embedded: releases this process's hold on the data dir). */
  closeClients(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startBackend(kind: BackendKind): Promise<TestBackend> {
  const clients: ClickHouseClient[] = [];
  const open = async (target: ClickHouseTarget) => {
    const c = await openClient(target);
    clients.push(c);
    return c;
  };
  const closeClients = async () => {
    for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  };
  if (kind === 'server') {
    const server = await startClickHouseServer();
    return {
      kind,
      connection: { url: server.url },
      cliFlags: ['--url', server.url],
      server,
      client: () => open({ kind: 'http', url: server.url, label: server.url }),
      closeClients,
      async dispose() {
        await closeClients();
        await server.dispose();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-chdb-'));
  const path = join(dir, 'data');
  return {
    kind,
    connection: { path },
    cliFlags: ['--path', path],
    client: () => open({ kind: 'embedded', path, label: path }),
    closeClients,
    async dispose() {
      await closeClients();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Another process holding an embedded data dir (as a second sidecar would): for this process the
 * embedded ClickHouse is "down" until `release()`.
 */
export async function lockEmbeddedDir(path: string): Promise<{ release(): Promise<void> }> {
  const script =
    "const { createChdbConnection } = require('chdb/connection');" +
    'createChdbConnection({ path: process.argv[1] });' +
    "process.stdout.write('locked\\n'); setInterval(() => {}, 1000);";
  const child = spawn(process.execPath, ['-e', script, path], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`lock holder exited early (code ${code})`)));
  });
  return {
    async release() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
