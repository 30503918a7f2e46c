import { parseArgs } from 'node:util';
import type { CliCommand } from '../cli/command.js';
import { runLoad } from './run-load.js';

const usage = `switchyard loadgen [options]

Makes OpenAI-style chat traffic through a Switchyard gateway, for demos and dashboards.
Plain fetch; each call names its feature in x-switchyard-feature.

  --base-url URL        gateway base URL (default http://127.0.0.1:4000/v1)
  --features A,B,C      features to cycle through (default support-chat,coding,search)
  --rps N               requests started per second (default 5)
  --duration SECONDS    0 = run until SIGINT/SIGTERM (default 0)
  --stream-ratio R      share of streamed calls, 0..1 (default 0.5)
  --model NAME          model sent in the body (default fast; routes may override it)
  --api-key KEY         bearer sent to the gateway (default sk-loadgen; the sidecar holds real keys)
  --max-in-flight N     cap on concurrent calls (default 256)
  --progress SECONDS    progress line every N seconds (default 10)
  --timeout-ms MS       per-call timeout (default 60000)`;

function num(name: string, text: string, min: number, max = Number.POSITIVE_INFINITY): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number in [${min}, ${max}], got "${text}"`);
  return n;
}

export const loadgenCommand: CliCommand = {
  name: 'loadgen',
  summary: 'Generate chat traffic through a Switchyard gateway (demo dashboards)',
  usage,
  async run(argv) {
    let o: Parameters<typeof runLoad>[0];
    const controller = new AbortController();
    try {
      const { values } = parseArgs({
        args: argv,
        strict: true,
        options: {
          'base-url': { type: 'string', default: 'http://127.0.0.1:4000/v1' },
          features: { type: 'string', default: 'support-chat,coding,search' },
          rps: { type: 'string', default: '5' },
          duration: { type: 'string', default: '0' },
          'stream-ratio': { type: 'string', default: '0.5' },
          model: { type: 'string', default: 'fast' },
          'api-key': { type: 'string', default: 'sk-loadgen' },
          'max-in-flight': { type: 'string', default: '256' },
          progress: { type: 'string', default: '10' },
          'timeout-ms': { type: 'string', default: '60000' },
          help: { type: 'boolean', default: false },
        },
      });
      if (values.help) {
        process.stdout.write(`${usage}\n`);
        return 0;
      }
      const features = values.features
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean);
      if (features.length === 0) throw new Error('--features names no feature');
      new URL(values['base-url']);
      o = {
        baseUrl: values['base-url'],
        features,
        rps: num('rps', values.rps, 0.001, 10_000),
        durationMs: num('duration', values.duration, 0) * 1000,
        streamRatio: num('stream-ratio', values['stream-ratio'], 0, 1),
        model: values.model,
        apiKey: values['api-key'],
        maxInFlight: num('max-in-flight', values['max-in-flight'], 1),
        progressEveryMs: num('progress', values.progress, 0.1) * 1000,
        timeoutMs: num('timeout-ms', values['timeout-ms'], 1),
        signal: controller.signal,
        log: (line) => process.stdout.write(`${line}\n`),
      };
    } catch (e) {
      process.stderr.write(`loadgen: ${e instanceof Error ? e.message : String(e)}\n\n${usage}\n`);
      return 2;
    }
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await runLoad(o);
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    return 0;
  },
};
