import { ConfigError } from '../config/config-error.js';
import { UsageError } from './args.js';
import type { CliCommand } from './command.js';
import { COMMANDS } from './registry.js';

function help(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'switchyard — an OpenAI-compatible AI gateway sidecar',
    '',
    'Usage: switchyard <command> [options]   (switchyard <command> --help for details)',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
  ].join('\n');
}

/** `switchyard <command> …`. Sets process.exitCode; long-running commands resolve when they stop. */
export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help(COMMANDS));
    return;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`switchyard: unknown command "${name}"\n\n${help(COMMANDS)}`);
    process.exitCode = 2;
    return;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return;
  }
  try {
    process.exitCode = await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`switchyard ${name}: ${e.message}\n\n${command.usage}\n`);
      process.exitCode = 2;
    } else if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`switchyard ${name}: ${(e as Error)?.message ?? String(e)}\n`);
      process.exitCode = 1;
    }
  }
}
