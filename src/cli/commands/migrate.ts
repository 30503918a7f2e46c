import { ConfigError } from '../../config/config-error.js';
import { loadConfigFile } from '../../config/load.js';
import { CONNECTION_FLAGS, CONNECTION_USAGE, settingsFromCli } from '../../sinks/clickhouse/cli-settings.js';
import type { DdlContext } from '../../sinks/clickhouse/ddl/context.js';
import { migrate } from '../../sinks/clickhouse/migrations.js';
import { openClient } from '../../sinks/clickhouse/open-client.js';
import type { ClickHouseSettings } from '../../sinks/clickhouse/settings.js';
import { resolveTarget } from '../../sinks/clickhouse/target.js';
import type { ClickHouseClient } from '@clickhouse/client';
import { parseArgs, UsageError } from '../args.js';
import type { CliCommand } from '../command.js';

/** Where a command prints: the process's streams, or a test's collectors. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}
export const PROCESS_IO: CliIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

/** Reads `telemetry.clickhouse` from the config file named by --config or SWITCHYARD_CONFIG. */
export function clickHouseSettingsFromArgs(flags: Record<string, string | true>): ClickHouseSettings {
  const file = typeof flags.config === 'string' ? flags.config : process.env.SWITCHYARD_CONFIG;
  let section: unknown;
  if (file) {
    const config = loadConfigFile(file);
    section = config.telemetry.clickhouse;
    if (section === false) throw new UsageError(`${file}: telemetry.clickhouse is false (the ledger is off)`);
  }
  return settingsFromCli(section, flags);
}

export interface ClickHouseSession {
  settings: ClickHouseSettings;
  client: ClickHouseClient;
  ctx: DdlContext;
  label: string;
}

export async function openSession(flags: Record<string, string | true>): Promise<ClickHouseSession> {
  const settings = clickHouseSettingsFromArgs(flags);
  const target = resolveTarget(settings);
  const client = await openClient(target, { requestTimeoutMs: Math.max(settings.request_timeout_ms, 60_000) });
  const ctx: DdlContext = { database: settings.database };
  if (settings.cluster) ctx.cluster = settings.cluster;
  if (settings.ttl_days) ctx.ttlDays = settings.ttl_days;
  return { settings, client, ctx, label: target.label };
}

/** Runs a command body with a session; maps known failures to a message and exit code. */
export async function withSession(
  command: string,
  flags: Record<string, string | true>,
  body: (s: ClickHouseSession) => Promise<number>,
  io: CliIo = PROCESS_IO,
): Promise<number> {
  let session: ClickHouseSession | undefined;
  try {
    session = await openSession(flags);
    return await body(session);
  } catch (err) {
    if (err instanceof ConfigError) io.err(`${err.message}\n`);
    else io.err(`switchyard ${command}: ${(err as Error).message}\n`);
    return err instanceof UsageError ? 2 : 1;
  } finally {
    await session?.client.close().catch(() => undefined);
  }
}

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'Create or update the ClickHouse schema (versioned, idempotent)',
  usage: `switchyard migrate [connection options]\n\nApplies every migration not yet recorded in <database>.schema_migrations.\n\n${CONNECTION_USAGE}`,
  run: (argv) => runMigrate(argv),
};

export async function runMigrate(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  let flags: Record<string, string | true>;
  try {
    flags = parseArgs(argv, { values: CONNECTION_FLAGS }).flags;
  } catch (err) {
    io.err(`switchyard migrate: ${(err as Error).message}\n`);
    return 2;
  }
  if (flags.help) {
    io.out(`${migrateCommand.usage}\n`);
    return 0;
  }
  return withSession(
    'migrate',
    flags,
    async ({ client, ctx, label }) => {
      const result = await migrate(client, ctx);
      for (const m of result.applied) io.out(`applied ${m.version} ${m.name}\n`);
      io.out(
        `${label}: database ${ctx.database} is at version ${Math.max(0, ...result.applied.map((m) => m.version), ...result.alreadyApplied)}` +
          ` (${result.applied.length} applied now, ${result.alreadyApplied.length} already)\n`,
      );
      return 0;
    },
    io,
  );
}
