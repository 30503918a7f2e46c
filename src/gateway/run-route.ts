import type { AttemptRecord, Operation } from '../core/call-record.js';
import { GatewayError } from '../core/errors.js';
import type { CallHandle } from '../telemetry/recorder-types.js';
import type { AppResponder } from './app-responder.js';
import { backoffDelayMs, sleep } from './backoff.js';
import type { GatewayDeps } from './deps.js';
import type { Route } from './resolve-route.js';
import { type AttemptResult, runAttempt } from './run-attempt.js';

export interface RunRouteInput {
  deps: GatewayDeps;
  call: CallHandle;
  route: Route;
  operation: Exclude<Operation, 'passthrough'>;
  body: Readonly<Record<string, unknown>>;
  rawBody: Buffer;
  stream: boolean;
  clientKey: string | undefined;
  captureContent: boolean;
  responder: AppResponder;
}

export interface RouteOutcome {
  attempts: AttemptRecord[];
  fallbackPath: string[];
  /** The final error when the call failed (already sent as an event when the stream was committed). */
  error?: GatewayError;
  last?: AttemptResult;
  /** Time spent sleeping between tries (not gateway overhead). */
  backoffMs: number;
}

/**
 * The only loop with retry, backoff, Retry-After and fallback. Tries each target in order, each up
 * to `retry.max_attempts` times. The commit point is the first byte written to the app: once the
 * responder is committed, there is no retry and no fallback.
 */
export async function runRoute(input: RunRouteInput): Promise<RouteOutcome> {
  const { deps, route, responder } = input;
  const { retry, timeoutMs, fallbackOnClientError } = route.feature;
  const attempts: AttemptRecord[] = [];
  const fallbackPath: string[] = [];
  let last: AttemptResult | undefined;
  let backoffMs = 0;

  for (let targetIndex = 0; targetIndex < route.targets.length; targetIndex++) {
    const target = route.targets[targetIndex] as (typeof route.targets)[number];
    fallbackPath.push(target.label);
    const adapter = deps.adapterFor(target.provider.protocol);
    if (!adapter || !adapter.operations.includes(input.operation)) {
      const error = new GatewayError({
        kind: 'no_route',
        message: `Provider "${target.provider.name}" cannot serve ${input.operation} (protocol ${target.provider.protocol}).`,
      });
      last = undefined;
      if (targetIndex === route.targets.length - 1) return { attempts, fallbackPath, error, backoffMs };
      continue;
    }
    for (let tryNumber = 1; tryNumber <= retry.maxAttempts; tryNumber++) {
      last = await runAttempt({
        deps,
        call: input.call,
        adapter,
        target,
        operation: input.operation,
        body: input.body,
        rawBody: input.rawBody,
        stream: input.stream,
        clientKey: input.clientKey,
        timeoutMs,
        captureContent: input.captureContent,
        responder,
        index: attempts.length,
        targetIndex,
        tryNumber,
      });
      attempts.push(last.record);
      const error = last.error;
      if (!error) return { attempts, fallbackPath, last, backoffMs };
      if (responder.committed || error.kind === 'client_aborted' || responder.aborted) {
        return { attempts, fallbackPath, error, last, backoffMs };
      }
      if (error.retryable && tryNumber < retry.maxAttempts) {
        const delay = backoffDelayMs(retry, tryNumber + 1, error.retryAfterMs);
        backoffMs += delay;
        if (!(await sleep(delay, responder))) {
          return { attempts, fallbackPath, error: clientGone(), last, backoffMs };
        }
        continue;
      }
      const mayFallBack = error.fallbackable || (error.kind === 'upstream_client_error' && fallbackOnClientError);
      if (!mayFallBack) return { attempts, fallbackPath, error, last, backoffMs };
      break;
    }
  }
  const lastError = last?.error ?? new GatewayError({ kind: 'no_route', message: 'No target could serve this call.' });
  return { attempts, fallbackPath, error: allFailed(route, fallbackPath, lastError), ...(last ? { last } : {}), backoffMs };
}

function clientGone(): GatewayError {
  return new GatewayError({ kind: 'client_aborted', message: 'The client closed the connection.' });
}

/** Every target failed: the last upstream status (or the kind's status), naming the fallback path. */
function allFailed(route: Route, path: string[], last: GatewayError): GatewayError {
  if (path.length === 1 && route.feature.retry.maxAttempts === 1) return last;
  return new GatewayError({
    kind: last.kind,
    message: `All targets failed for feature "${route.feature.name}" (tried ${path.join(' > ')}). Last error: ${last.message}`,
    status: last.upstreamStatus && last.upstreamStatus >= 400 ? last.upstreamStatus : last.status,
    param: last.param,
    code: last.code,
    ...(last.upstreamStatus !== undefined ? { upstreamStatus: last.upstreamStatus } : {}),
  });
}
