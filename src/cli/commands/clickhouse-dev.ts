import { resolve } from 'node:path';
import { findLibChdb, startLocalClickHouse } from '../../sinks/clickhouse/local-server.js';
import { parseArgs } from '../args.js';
import type { CliCommand } from '../command.js';

export const clickhouseDevCommand: CliCommand = {
  name: 'clickhouse-dev',
  summary: 'Run a local ClickHouse HTTP server (chDB) on 127.0.0.1 for Grafana and tests',
  usage:
    'switchyard clickhouse-dev [--port 8123] [--path ./.switchyard/clickhouse-dev]\n\n' +
    'Serves ClickHouse over HTTP on 127.0.0.1:PORT from the chdb package (no Docker, no download).\n' +
    'The user `default` has no password, so it listens on loopback only. Ctrl-C stops it.\n' +
    'Point the sidecar at it with CLICKHOUSE_URL=http://127.0.0.1:PORT.',
  async run(argv) {
    const { flags } = parseArgs(argv, { values: ['port', 'path'] });
    if (flags.help) {
      process.stdout.write(`${clickhouseDevCommand.usage}\n`);
      return 0;
    }
    const port = Number(typeof flags.port === 'string' ? flags.port : 8123);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      process.stderr.write('switchyard clickhouse-dev: --port must be 1..65535\n');
      return 2;
    }
    const dataDir = resolve(typeof flags.path === 'string' ? flags.path : './.switchyard/clickhouse-dev');
    let server: Awaited<ReturnType<typeof startLocalClickHouse>>;
    try {
      findLibChdb();
      server = await startLocalClickHouse({ dataDir, port });
    } catch (err) {
      process.stderr.write(`switchyard clickhouse-dev: ${(err as Error).message}\n`);
      return 1;
    }
    process.stdout.write(`clickhouse-dev: listening on ${server.url} (data ${dataDir}, pid ${server.pid}); Ctrl-C to stop\n`);
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      process.stdout.write('clickhouse-dev: stopping\n');
      void server.stop();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const code = await server.exited;
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (stopping) {
      process.stdout.write('clickhouse-dev: stopped\n');
      return 0;
    }
    process.stderr.write(`clickhouse-dev: the server exited unexpectedly (code ${code})\n`);
    return 1;
  },
};
