import { parseArgs } from 'node:util';
import type { CliCommand } from '../cli/command.js';
import { createLogger } from '../core/log.js';
import { startWebhookServer } from './webhook-server.js';

const usage = `switchyard inject-webhook --tls-cert FILE --tls-key FILE --sidecar-image IMAGE [options]

Mutating admission webhook: injects the Switchyard native sidecar into pods labelled
switchyard.dev/inject: "true". Fails open: on any error the pod is admitted unchanged.

  --port N             HTTPS port (default 8443)
  --host ADDR          listen address (default 0.0.0.0)
  --tls-cert FILE      PEM certificate (reloaded when it changes)
  --tls-key FILE       PEM private key (reloaded when it changes)
  --sidecar-image IMG  image of the injected sidecar
  --config-map NAME    ConfigMap with switchyard.yaml, in the pod's namespace (default switchyard-config)
  --secret NAME        Secret with provider keys, in the pod's namespace (default switchyard-provider-keys)
  --image-pull-policy  Always | IfNotPresent | Never (default IfNotPresent)`;

export const injectWebhookCommand: CliCommand = {
  name: 'inject-webhook',
  summary: 'Serve the mutating admission webhook that injects the Switchyard sidecar',
  usage,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', default: '8443' },
        host: { type: 'string', default: '0.0.0.0' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'sidecar-image': { type: 'string' },
        'config-map': { type: 'string', default: 'switchyard-config' },
        secret: { type: 'string', default: 'switchyard-provider-keys' },
        'image-pull-policy': { type: 'string', default: 'IfNotPresent' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    const port = Number(values.port);
    const pull = values['image-pull-policy'];
    const missing = (['tls-cert', 'tls-key', 'sidecar-image'] as const).filter((k) => !values[k]);
    if (missing.length > 0 || !Number.isInteger(port) || (pull !== 'Always' && pull !== 'IfNotPresent' && pull !== 'Never')) {
      process.stderr.write(
        `inject-webhook: ${missing.length ? `missing --${missing.join(', --')}` : 'bad --port or --image-pull-policy'}\n\n${usage}\n`,
      );
      return 2;
    }
    const logger = createLogger();
    const server = await startWebhookServer({
      host: values.host,
      port,
      certFile: values['tls-cert'] as string,
      keyFile: values['tls-key'] as string,
      inject: {
        image: values['sidecar-image'] as string,
        imagePullPolicy: pull,
        configMap: values['config-map'],
        secret: values.secret,
      },
      logger,
    });
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    await server.close();
    return 0;
  },
};
