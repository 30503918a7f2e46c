import type { AttemptRecord, Operation } from '../../src/core/call-record.js';
import type { AttemptStart } from '../../src/telemetry/recorder-types.js';

/**
 * What the gateway hands `startAttempt` for an attempt that ends as `a` (tests that drive the
 * recorder from records). `serverPort` is the record's, else `defaultPort`, else left out.
 */
export function attemptStartOf(a: AttemptRecord, o: { operation?: Operation; stream?: boolean; defaultPort?: number } = {}): AttemptStart {
  const start: AttemptStart = {
    operation: o.operation ?? 'chat',
    provider: a.provider,
    providerName: a.providerName,
    model: a.model,
    stream: o.stream ?? false,
    serverAddress: a.serverAddress,
    startedAtMs: a.startedAtMs,
  };
  const port = a.serverPort ?? o.defaultPort;
  if (port !== undefined) start.serverPort = port;
  return start;
}
