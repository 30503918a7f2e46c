/** One `switchyard <name>` sub-command. Modules export these; `src/cli/main.ts` registers them. */
export interface CliCommand {
  name: string;
  /** One line for `switchyard --help`. */
  summary: string;
  /** Full usage text for `switchyard <name> --help`. */
  usage: string;
  /** Returns the process exit code. Long-running commands resolve when they stop. */
  run(argv: string[]): Promise<number>;
}
