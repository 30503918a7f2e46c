import { ConfigError } from '../../config/config-error.js';
import { parseListenAddress } from '../../config/listen-address.js';
import { loadConfigFile, loadEmbeddedDefault } from '../../config/load.js';
import type { Config } from '../../config/types.js';
import { createLogger } from '../../core/log.js';
import { startSidecar } from '../../main.js';
import { tuneHeapForServing } from '../../core/heap-tuning.js';
import { parseArgs, UsageError } from '../args.js';
import type { CliCommand } from '../command.js';

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Run the sidecar (default: the embedded demo config with the local simulator)',
  usage: `switchyard serve [--config FILE] [--host HOST] [--port PORT] [--health-port PORT]

  --config FILE   config file (or env SWITCHYARD_CONFIG); without one, the embedded demo config
                  whose only provider is the LOCAL SIMULATOR (not a real AI provider) is used
  --host, --port  override server.listen (default 127.0.0.1:4000)
  --health-port   override the port of server.health_listen (default 4001)

SIGTERM/SIGINT: stop accepting, finish in-flight calls within server.shutdown_grace_ms, flush, exit 0.`,
  async run(argv) {
    const { flags } = parseArgs(argv, { values: ['config', 'host', 'port', 'health-port'] });
    const log = createLogger();
    let heap: string;
    try {
      heap = tuneHeapForServing();
    } catch (e) {
      process.stderr.write(`${(e as Error).message}\n`);
      return 1;
    }
    const path = (flags.config as string | undefined) ?? process.env.SWITCHYARD_CONFIG;
    let config: Config;
    try {
      config = path ? loadConfigFile(path) : loadEmbeddedDefault();
    } catch (e) {
      if (e instanceof ConfigError) {
        process.stderr.write(`${e.message}\n`);
        return 1;
      }
      throw e;
    }
    log.debug(heap);
    if (!path) log.info('no --config given: using the embedded demo config (provider "local-simulator" is a simulator, not a real model)');
    config = withOverrides(config, flags);
    const sidecar = await startSidecar({ config, ...(path ? { configPath: path } : {}), log });
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        void sidecar.shutdown(signal).then(resolve, (e: Error) => {
          log.error('shutdown failed', { error: e.message });
          resolve();
        });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    return 0;
  },
};

function withOverrides(config: Config, flags: Record<string, string | true>): Config {
  const listen = { ...config.server.listen };
  const health = { ...config.server.healthListen };
  if (typeof flags.host === 'string') listen.host = flags.host;
  if (typeof flags.port === 'string') listen.port = port(flags.port, '--port');
  if (typeof flags['health-port'] === 'string') health.port = port(flags['health-port'], '--health-port');
  if (!parseListenAddress(`${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`))
    throw new UsageError('--host is not a valid address');
  return Object.freeze({ ...config, server: Object.freeze({ ...config.server, listen, healthListen: health }) });
}

function port(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} must be a port number`);
  return n;
}
