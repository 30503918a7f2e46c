import { type AttributeValue, SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { EndedSpan } from '../../src/telemetry/ended-span.js';

/** A resource with non-ASCII text, an array value and a number, as the row writers must write it. */
export const TEST_RESOURCE = resourceFromAttributes({
  'service.name': 'switchyard',
  'service.namespace': '商店',
  'process.command_args': ['node', 'x "y"'],
  'process.pid': 7,
});

/** A lean span as span sinks get it (a SERVER span of a chat call unless `over` says otherwise), with the given attributes. */
export function endedSpan(over: Partial<EndedSpan>, attrs: [string, AttributeValue | null | undefined][] = []): EndedSpan {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: undefined,
    traceState: undefined,
    name: 'POST /v1/chat/completions',
    kind: SpanKind.SERVER,
    startMs: 1_700_000_000_123.25,
    endMs: 1_700_000_000_523.5,
    errorMessage: undefined,
    resource: TEST_RESOURCE,
    scope: { name: 'switchyard' },
    writeAttributes(w) {
      for (const [k, v] of attrs) w.attr(k, v);
    },
    ...over,
  };
}
