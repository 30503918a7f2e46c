import { type OutputFormat, OUTPUT_FORMATS, formatRows } from '../../sinks/clickhouse/query/format-rows.js';
import { runQuery } from '../../sinks/clickhouse/query/run-query.js';
import { CONNECTION_FLAGS, CONNECTION_USAGE } from '../../sinks/clickhouse/cli-settings.js';
import { parseArgs, UsageError } from '../args.js';
import type { CliCommand } from '../command.js';
import { type CliIo, PROCESS_IO, withSession } from './migrate.js';

export function parseFormat(value: string | true | undefined): OutputFormat {
  if (value === undefined) return 'table';
  if (typeof value === 'string' && (OUTPUT_FORMATS as readonly string[]).includes(value)) return value as OutputFormat;
  throw new UsageError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}`);
}

export const sqlCommand: CliCommand = {
  name: 'sql',
  summary: 'Run a SQL query against the configured ClickHouse and print the result',
  usage: `switchyard sql "SELECT ..." [--format table|csv|json] [connection options]\n\n${CONNECTION_USAGE}`,
  run: (argv) => runSql(argv),
};

export async function runSql(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  let format: OutputFormat;
  try {
    parsed = parseArgs(argv, { values: [...CONNECTION_FLAGS, 'format'] });
    format = parseFormat(parsed.flags.format);
  } catch (err) {
    io.err(`switchyard sql: ${(err as Error).message}\n`);
    return 2;
  }
  if (parsed.flags.help) {
    io.out(`${sqlCommand.usage}\n`);
    return 0;
  }
  const query = parsed.positional.join(' ').trim();
  if (!query) {
    io.err('switchyard sql: give a query, for example switchyard sql "SELECT 1"\n');
    return 2;
  }
  return withSession(
    'sql',
    parsed.flags,
    async ({ client }) => {
      const { columns, rows } = await runQuery(client, query);
      io.out(formatRows(format, columns, rows));
      return 0;
    },
    io,
  );
}
