import type { CallRecord } from '../core/call-record.js';
import { epochMs, monoMs, monoToEpoch, toMicros } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { Config, Target } from '../config/types.js';
import type { AttemptHandle, CallHandle } from '../telemetry/recorder-types.js';
import type { GatewayDeps } from './deps.js';
import { FEATURE_HEADER, identifyFeature } from './identify-feature.js';

/**
 * Endpoints we don't translate (`/v1/images/*`, `/v1/audio/*`, `/v1/responses`, …) go verbatim to
 * the feature's first target that speaks the OpenAI protocol. This module decides where and with
 * which headers, and records the call; the server pipes the bytes (http-proxy).
 */
export interface PassthroughPlan {
  target: Target;
  /** Upstream base URL (target for http-proxy) and the path to request below it. */
  baseUrl: string;
  upstreamPath: string;
  /** Headers to set on the upstream request (auth, trace context). */
  setHeaders: Record<string, string>;
  /** Headers to remove from the app's request. */
  removeHeaders: string[];
  timeoutMs: number;
  finish(result: { status?: number; error?: GatewayError }): void;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;
const first = (h: Headers, n: string) => (Array.isArray(h[n]) ? (h[n] as string[])[0] : (h[n] as string | undefined));

export function planPassthrough(
  deps: GatewayDeps,
  config: Config,
  req: { method: string; path: string; search: string; headers: Headers; receivedAt: number },
): PassthroughPlan {
  // One conversion for the span and the record (see handle-call.ts).
  const startedAtMs = monoToEpoch(req.receivedAt);
  const call = deps.recorder.startCall({
    operation: 'passthrough',
    method: req.method,
    path: req.path,
    ...(first(req.headers, 'traceparent') ? { traceparent: first(req.headers, 'traceparent') as string } : {}),
    startedAtMs,
  });
  let featureName = '';
  try {
    const feature = identifyFeature({
      config,
      header: first(req.headers, FEATURE_HEADER),
      baggage: first(req.headers, 'baggage'),
      model: undefined,
    });
    featureName = feature.name;
    call.setFeature(featureName);
    const target = feature.targets.find((t) => t.provider.protocol === 'openai');
    if (!target) {
      throw new GatewayError({
        kind: 'not_found',
        message: `Feature "${feature.name}" has no OpenAI-protocol target to pass ${req.path} through to.`,
      });
    }
    return plan(deps, config, req, startedAtMs, call, featureName, target, feature.timeoutMs);
  } catch (e) {
    const error = e instanceof GatewayError ? e : new GatewayError({ kind: 'internal', message: 'Internal gateway error.' });
    endCall(deps, config, call, req, startedAtMs, featureName, undefined, undefined, error, []);
    throw error;
  }
}

function plan(
  deps: GatewayDeps,
  config: Config,
  req: { method: string; path: string; search: string; headers: Headers; receivedAt: number },
  startedAtMs: number,
  call: CallHandle,
  feature: string,
  target: Target,
  timeoutMs: number,
): PassthroughPlan {
  const provider = target.provider;
  const url = new URL(provider.baseUrl);
  const attemptStartedAtMs = epochMs();
  const attempt: AttemptHandle = call.startAttempt({
    operation: 'passthrough',
    provider: provider.name,
    providerName: provider.profile.genAiProviderName,
    model: '',
    stream: false,
    serverAddress: url.hostname,
    ...(url.port ? { serverPort: Number(url.port) } : {}),
    startedAtMs: attemptStartedAtMs,
  });
  const setHeaders: Record<string, string> = { ...provider.headers, ...attempt.propagationHeaders };
  const removeHeaders = [FEATURE_HEADER, 'baggage', 'tracestate'];
  const key = provider.apiKey();
  if (!provider.forwardClientKey) {
    removeHeaders.push('authorization');
    if (key) setHeaders.authorization = `Bearer ${key}`;
  }
  const started = monoMs();
  let done = false;
  return {
    target,
    baseUrl: provider.baseUrl,
    upstreamPath: req.path.replace(/^\/v1/, '') + req.search,
    setHeaders,
    removeHeaders,
    timeoutMs,
    finish(result) {
      if (done) return;
      done = true;
      const durationMs = toMicros(monoMs() - started);
      const rec = {
        index: 0,
        targetIndex: 0,
        tryNumber: 1,
        provider: provider.name,
        providerName: provider.profile.genAiProviderName,
        model: '',
        startedAtMs: attemptStartedAtMs,
        durationMs,
        ...(result.status !== undefined ? { httpStatus: result.status } : {}),
        outcome: result.error || (result.status ?? 0) >= 400 ? ('error' as const) : ('ok' as const),
        ...(result.error ? { errorType: result.error.kind } : (result.status ?? 0) >= 400 ? { errorType: String(result.status) } : {}),
        costUsd: null,
        serverAddress: url.hostname,
        ...(url.port ? { serverPort: Number(url.port) } : {}),
        spanId: attempt.spanId,
      };
      attempt.end(rec);
      endCall(deps, config, call, req, startedAtMs, feature, target, result.status, result.error, [rec]);
    },
  };
}

function endCall(
  deps: GatewayDeps,
  config: Config,
  call: CallHandle,
  req: { path: string; receivedAt: number },
  startedAtMs: number,
  feature: string,
  target: Target | undefined,
  status: number | undefined,
  error: GatewayError | undefined,
  attempts: CallRecord['attempts'],
): void {
  const elapsedMs = monoMs() - req.receivedAt;
  const latencyMs = toMicros(elapsedMs);
  const failed = !!error || (status ?? 0) >= 400;
  call.end({
    callId: call.callId,
    startedAtMs,
    traceId: call.traceId,
    spanId: call.spanId,
    feature,
    route: feature,
    operation: 'passthrough',
    path: req.path,
    streamed: false,
    requestedModel: '',
    finalProvider: target?.provider.name ?? '',
    finalModel: '',
    outcome: failed ? 'error' : 'ok',
    ...(error ? { errorType: error.kind } : failed ? { errorType: String(status) } : {}),
    httpStatus: error ? error.status : (status ?? 0),
    attemptCount: attempts.length,
    retryCount: 0,
    fallbackPath: target ? [target.label] : [],
    latencyMs,
    overheadMs: toMicros(Math.max(0, elapsedMs - attempts.reduce((s, a) => s + a.durationMs, 0))),
    usage: {},
    costUsd: null,
    priceTableVersion: deps.priceTableVersion,
    configHash: config.hash,
    resource: deps.resource,
    attempts,
  });
}
