import { loadgenCommand } from '../loadgen/loadgen-command.js';
import { injectWebhookCommand } from '../webhook/inject-webhook-command.js';
import type { CliCommand } from './command.js';
import { clickhouseDevCommand } from './commands/clickhouse-dev.js';
import { costCommand } from './commands/cost.js';
import { migrateCommand } from './commands/migrate.js';
import { serveCommand } from './commands/serve.js';
import { sqlCommand } from './commands/sql.js';
import { validateCommand } from './commands/validate.js';

/** Every `switchyard` sub-command, in help order. */
export const COMMANDS: readonly CliCommand[] = [
  serveCommand,
  validateCommand,
  migrateCommand,
  costCommand,
  sqlCommand,
  clickhouseDevCommand,
  loadgenCommand,
  injectWebhookCommand,
];
