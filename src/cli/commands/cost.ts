import { COST_DIMENSIONS, type CostDimension, costQuery, parseTimeArg } from '../../sinks/clickhouse/query/cost-query.js';
import { formatRows, type OutputFormat } from '../../sinks/clickhouse/query/format-rows.js';
import { runQuery } from '../../sinks/clickhouse/query/run-query.js';
import { formatDateTime64ms } from '../../sinks/clickhouse/rows/time-format.js';
import { CONNECTION_FLAGS, CONNECTION_USAGE } from '../../sinks/clickhouse/cli-settings.js';
import { parseArgs, UsageError } from '../args.js';
import type { CliCommand } from '../command.js';
import { type CliIo, PROCESS_IO, withSession } from './migrate.js';
import { parseFormat } from './sql.js';

const DIMENSIONS = Object.keys(COST_DIMENSIONS) as CostDimension[];

export const costCommand: CliCommand = {
  name: 'cost',
  summary: 'Spend from the ClickHouse ledger by feature, model, provider, namespace or workload',
  usage:
    'switchyard cost [--by feature|model|provider|namespace|workload] [--since 24h] [--until TIME]\n' +
    '                [--format table|csv|json] [connection options]\n\n' +
    'TIME is a duration before now (30m, 24h, 7d, 2w) or an ISO date/time; --until defaults to now.\n' +
    'cost_usd sums known prices; unpriced_calls counts calls whose price was unknown (cost NULL).\n\n' +
    CONNECTION_USAGE,
  run: (argv) => runCost(argv),
};

export async function runCost(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  let flags: Record<string, string | true>;
  let by: CostDimension;
  let format: OutputFormat;
  let since: number;
  let until: number;
  try {
    flags = parseArgs(argv, { values: [...CONNECTION_FLAGS, 'by', 'since', 'until', 'format'] }).flags;
    const byFlag = flags.by ?? 'feature';
    if (typeof byFlag !== 'string' || !(DIMENSIONS as string[]).includes(byFlag)) {
      throw new UsageError(`--by must be one of ${DIMENSIONS.join(', ')}`);
    }
    by = byFlag as CostDimension;
    format = parseFormat(flags.format);
    const now = Date.now();
    since = parseTimeArg(typeof flags.since === 'string' ? flags.since : '24h', now);
    until = typeof flags.until === 'string' ? parseTimeArg(flags.until, now) : now;
  } catch (err) {
    io.err(`switchyard cost: ${(err as Error).message}\n`);
    return 2;
  }
  if (flags.help) {
    io.out(`${costCommand.usage}\n`);
    return 0;
  }
  return withSession(
    'cost',
    flags,
    async ({ client, ctx }) => {
      const params = { since: formatDateTime64ms(since), until: formatDateTime64ms(until) };
      const { columns, rows } = await runQuery(client, costQuery(ctx.database, by), params);
      io.out(formatRows(format, columns, rows));
      return 0;
    },
    io,
  );
}
