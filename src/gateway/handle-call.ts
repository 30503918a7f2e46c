import type { CallRecord, Operation } from '../core/call-record.js';
import { monoMs, monoToEpoch } from '../core/clock.js';
import { GatewayError, toGatewayError } from '../core/errors.js';
import { newCallId } from '../core/ids.js';
import { sumUsage } from '../core/usage.js';
import type { Config } from '../config/types.js';
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
  rejected?: GatewayError;
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
  const handle = deps.recorder.startCall({
    operation: call.operation,
    method: call.method,
    path: call.path,
    ...(header(call.headers, 'traceparent') ? { traceparent: header(call.headers, 'traceparent') as string } : {}),
    ...(header(call.headers, 'tracestate') ? { tracestate: header(call.headers, 'tracestate') as string } : {}),
    startedAtMs: monoToEpoch(call.receivedAt),
  });
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
  const latencyMs = monoMs() - call.receivedAt;
  const upstreamMs = attempts.reduce((s, a) => s + a.durationMs, 0);
  const usage = sumUsage(attempts.map((a) => a.usage));
  const costs = attempts.filter((a) => a.usage);
  // No tokens reported by any attempt: nothing billed (0). A reported usage with an unknown price: null.
  const costUsd = costs.some((a) => a.costUsd === null) ? null : costs.reduce((s, a) => s + (a.costUsd as number), 0);
  const committed = call.responder.committed;
  const status = error ? (committed ? 200 : error.status) : 200;
  const record: CallRecord = {
    callId: newCallId(),
    startedAtMs: monoToEpoch(call.receivedAt),
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
    ...(error ? { errorType: error.kind } : {}),
    httpStatus: status,
    attemptCount: attempts.length,
    retryCount: attempts.filter((a) => a.tryNumber > 1).length,
    fallbackPath: outcome?.fallbackPath ?? [],
    latencyMs,
    ...(outcome?.last?.ttfcMs !== undefined ? { timeToFirstChunkMs: firstChunkSinceArrival(call.receivedAt, outcome) } : {}),
    overheadMs: Math.max(0, latencyMs - upstreamMs - (outcome?.backoffMs ?? 0)),
    usage,
    costUsd,
    priceTableVersion: deps.priceTableVersion,
    configHash: config.hash,
    resource: deps.resource,
    attempts,
    ...(config.telemetry.captureContent ? { content: captured(call.body, outcome) } : {}),
  };
  handle.end(record);
  return error && !committed ? error : undefined;
}

function firstChunkSinceArrival(receivedAt: number, outcome: NonNullable<Awaited<ReturnType<typeof runRoute>>>): number {
  const last = outcome.last;
  if (!last || last.ttfcMs === undefined) return 0;
  return last.startedMono - receivedAt + last.ttfcMs;
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
