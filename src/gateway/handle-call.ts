import type { CallRecord, Operation } from '../core/call-record.js';
import { monoMs, monoToEpoch, toMicros } from '../core/clock.js';
import { GatewayError, toGatewayError } from '../core/errors.js';
import { type Usage, sumUsage } from '../core/usage.js';
import type { Config } from '../config/types.js';
import type { CallStart } from '../telemetry/recorder-types.js';
import type { AppResponder } from './app-responder.js';
import type { GatewayDeps } from './deps.js';
import { FEATURE_HEADER, identifyFeature } from './identify-feature.js';
import { type Route, resolveRoute } from './resolve-route.js';
import { runRoute } from './run-route.js';

export interface IncomingCall {
  operation: Exclude<Operation, 'passthrough'>;
  method: string;
  path: string;
  body: Readonly<Record<string, unknown>>;
  rawBody: Buffer;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** monoMs() when the request arrived. */
  receivedAt: number;
  responder: AppResponder;
  /** The server already rejected the request (bad JSON, too large): record it, send nothing upstream. */
  rejected?: GatewayError | undefined;
}

/**
 * An IncomingCall from what the server knows before the body and the body itself, always built as
 * one literal of one shape. A spread (`{ ...call, body, rawBody }`) made objects whose every
 * property load in the gateway missed V8's inline caches (a runtime call each, about a dozen per
 * call: `node --log-ic`, docs/benchmarks.md).
 */
export function incomingCall(
  call: Omit<IncomingCall, 'body' | 'rawBody' | 'rejected'>,
  body: IncomingCall['body'],
  rawBody: Buffer,
  rejected: GatewayError | undefined,
): IncomingCall {
  return {
    operation: call.operation,
    method: call.method,
    path: call.path,
    body,
    rawBody,
    headers: call.headers,
    receivedAt: call.receivedAt,
    responder: call.responder,
    rejected,
  };
}

function header(h: IncomingCall['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function bearer(h: IncomingCall['headers']): string | undefined {
  const auth = header(h, 'authorization');
  return auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
}

/**
 * One chat/embeddings call: feature → route → attempts → record. Returns the error to render when
 * nothing was committed to the app (the server renders it), or undefined when the response is done.
 */
export async function handleCall(deps: GatewayDeps, config: Config, call: IncomingCall): Promise<GatewayError | undefined> {
  const start: CallStart = { operation: call.operation, method: call.method, path: call.path, startedAtMs: monoToEpoch(call.receivedAt) };
  const traceparent = header(call.headers, 'traceparent');
  if (traceparent) start.traceparent = traceparent;
  const tracestate = header(call.headers, 'tracestate');
  if (tracestate) start.tracestate = tracestate;
  const handle = deps.recorder.startCall(start);
  const requestedModel = typeof call.body.model === 'string' ? call.body.model : '';
  const stream = call.operation === 'chat' && call.body.stream === true;
  let route: Route | undefined;
  let featureName = header(call.headers, FEATURE_HEADER) ?? '';
  let error: GatewayError | undefined;
  let outcome: Awaited<ReturnType<typeof runRoute>> | undefined;
  try {
    if (call.rejected) {
      featureName = rejectedFeature(config, call) ?? featureName;
      throw call.rejected;
    }
    const feature = identifyFeature({
      config,
      header: header(call.headers, FEATURE_HEADER),
      baggage: header(call.headers, 'baggage'),
      model: requestedModel || undefined,
    });
    featureName = feature.name;
    handle.setFeature(featureName);
    route = resolveRoute({ config, feature, model: requestedModel || undefined });
    outcome = await runRoute({
      deps,
      call: handle,
      route,
      operation: call.operation,
      body: call.body,
      rawBody: call.rawBody,
      stream,
      clientKey: bearer(call.headers),
      captureContent: config.telemetry.captureContent,
      responder: call.responder,
    });
    error = outcome.error;
  } catch (e) {
    error = toGatewayError(e);
    if (!(e instanceof GatewayError)) deps.log.error('unexpected gateway failure', { error: (e as Error)?.stack ?? String(e) });
  }

  const attempts = outcome?.attempts ?? [];
  const lastAttempt = attempts[attempts.length - 1];
  const elapsedMs = monoMs() - call.receivedAt;
  const latencyMs = toMicros(elapsedMs);
  let upstreamMs = 0;
  let retryCount = 0;
  // No tokens reported by any attempt: nothing billed (0). A reported usage with an unknown price: null.
  let costUsd: number | null = 0;
  const usages: (Usage | undefined)[] = [];
  for (const a of attempts) {
    upstreamMs += a.durationMs;
    if (a.tryNumber > 1) retryCount++;
    usages.push(a.usage);
    if (a.usage) costUsd = costUsd === null || a.costUsd === null ? null : costUsd + a.costUsd;
  }
  const committed = call.responder.committed;
  const status = error ? (committed ? 200 : error.status) : 200;
  const record: CallRecord = {
    callId: handle.callId,
    // The SERVER span's start, not a second conversion: monoToEpoch reads Date.now(), whose
    // millisecond steps would set the span's start and duration up to 1 ms apart from the record's.
    startedAtMs: start.startedAtMs,
    traceId: handle.traceId,
    spanId: handle.spanId,
    feature: featureName,
    route: route?.label ?? '',
    operation: call.operation,
    path: call.path,
    streamed: stream,
    requestedModel,
    finalProvider: lastAttempt?.provider ?? '',
    finalModel: lastAttempt?.model ?? '',
    outcome: error ? 'error' : 'ok',
    httpStatus: status,
    attemptCount: attempts.length,
    retryCount,
    fallbackPath: outcome?.fallbackPath ?? [],
    latencyMs,
    overheadMs: toMicros(Math.max(0, elapsedMs - upstreamMs - (outcome?.backoffMs ?? 0))),
    usage: sumUsage(usages),
    costUsd,
    priceTableVersion: deps.priceTableVersion,
    configHash: config.hash,
    resource: deps.resource,
    attempts,
  };
  // Optional fields are set only when present (no `...(x ? {x} : {})` spreads on the hot path).
  if (error) record.errorType = error.kind;
  if (outcome?.last?.ttfcMs !== undefined) record.timeToFirstChunkMs = firstChunkSinceArrival(call.receivedAt, outcome);
  if (config.telemetry.captureContent) record.content = captured(call.body, outcome);
  handle.end(record);
  return error && !committed ? error : undefined;
}

function firstChunkSinceArrival(receivedAt: number, outcome: NonNullable<Awaited<ReturnType<typeof runRoute>>>): number {
  const last = outcome.last;
  if (!last || last.ttfcMs === undefined) return 0;
  return toMicros(last.startedMono - receivedAt + last.ttfcMs);
}

function captured(body: Readonly<Record<string, unknown>>, outcome: Awaited<ReturnType<typeof runRoute>> | undefined) {
  const input = body.messages ?? body.input;
  const output = outcome?.last?.facts?.outputText;
  return {
    ...(input !== undefined ? { input: JSON.stringify(input).slice(0, 65_536) } : {}),
    ...(output !== undefined ? { output: output.slice(0, 65_536) } : {}),
  };
}

/** Best-effort feature attribution for a request rejected before routing (its error wins). */
function rejectedFeature(config: Config, call: IncomingCall): string | undefined {
  try {
    return identifyFeature({
      config,
      header: header(call.headers, FEATURE_HEADER),
      baggage: header(call.headers, 'baggage'),
      model: undefined,
    }).name;
  } catch {
    return undefined;
  }
}
