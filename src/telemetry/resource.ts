import {
  type DetectedResourceAttributes,
  type Resource,
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  processDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from './semconv.js';

/**
 * Detected attributes the sidecar leaves out of its resource. `process.command_args` is the full
 * argv: the semantic conventions say it SHOULD NOT be collected by default unless sanitized, since
 * arguments can hold credentials (a `--url` with a password, a token flag). Every span carries the
 * resource, so it would reach the OTLP collector and `otel_traces` on every call. Set it in
 * `OTEL_RESOURCE_ATTRIBUTES` to have it anyway.
 */
export const DROPPED_PROCESS_ATTRIBUTES: readonly string[] = ['process.command_args', 'process.command_line'];

/** The sidecar's resource: SDK defaults, `service.name`, process and host (minus the dropped keys), then OTEL_RESOURCE_ATTRIBUTES. */
export async function buildResource(serviceName: string): Promise<Resource> {
  const machine = detectResources({ detectors: [processDetector, hostDetector] });
  await machine.waitForAsyncAttributes?.();
  const kept: DetectedResourceAttributes = {};
  for (const [key, value] of Object.entries(machine.attributes)) if (!DROPPED_PROCESS_ATTRIBUTES.includes(key)) kept[key] = value;
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }))
    .merge(resourceFromAttributes(kept))
    .merge(detectResources({ detectors: [envDetector] }));
  await resource.waitForAsyncAttributes?.();
  return resource;
}
