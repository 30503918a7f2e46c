import { ConfigError } from '../../config/config-error.js';
import { loadConfigFile } from '../../config/load.js';
import { parseArgs } from '../args.js';
import type { CliCommand } from '../command.js';

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: 'Check a config file; print every problem with its YAML path and exit 1 if any',
  usage:
    'switchyard validate FILE\n\nLoads FILE exactly as `serve` would (env vars expanded, key files read) and reports problems.\nSecret values are never printed.',
  async run(argv) {
    const { positional } = parseArgs(argv, {});
    const file = positional[0] ?? process.env.SWITCHYARD_CONFIG;
    if (!file) {
      process.stderr.write('switchyard validate: give a config file\n');
      return 2;
    }
    try {
      const config = loadConfigFile(file);
      process.stdout.write(
        `${file}: ok (config hash ${config.hash}; ${config.providers.size} providers, ${config.features.size} features${config.defaultFeature ? `, default feature ${config.defaultFeature}` : ''})\n`,
      );
      return 0;
    } catch (e) {
      if (e instanceof ConfigError) {
        process.stderr.write(`${e.message}\n`);
        process.stderr.write(`${e.problems.length} problem${e.problems.length === 1 ? '' : 's'} in ${file}\n`);
        return 1;
      }
      throw e;
    }
  },
};
