import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type LocalServer, startLocalClickHouse } from '../../src/sinks/clickhouse/local-server.js';

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
