import { injectWebhookCommand } from '../webhook/inject-webhook-command.js';
import type { CliCommand } from './command.js';
import { serveCommand } from './commands/serve.js';
import { validateCommand } from './commands/validate.js';

/** Every `switchyard` sub-command, in help order. */
export const COMMANDS: readonly CliCommand[] = [serveCommand, validateCommand, injectWebhookCommand];
