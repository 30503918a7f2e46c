import type { Readable } from 'node:stream';
import type { AttemptRecord, Operation } from '../core/call-record.js';
import { GatewayError } from '../core/errors.js';
import { epochMs, monoMs, toMicros } from '../core/clock.js';
import type { Target } from '../config/types.js';
import type { ProviderAdapter, ResponseFacts, UpstreamResponseInput } from '../providers/types.js';
import type { AttemptStart, CallHandle } from '../telemetry/recorder-types.js';
import type { AppResponder } from './app-responder.js';
import type { GatewayDeps } from './deps.js';
import { redactSecrets } from './redact.js';
import { readBody, UpstreamAbort } from './upstream-client.js';

export interface AttemptInput {
  deps: GatewayDeps;
  call: CallHandle;
  adapter: ProviderAdapter;
  target: Target;
  operation: Exclude<Operation, 'passthrough'>;
  body: Readonly<Record<string, unknown>>;
  rawBody: Buffer;
  stream: boolean;
  clientKey: string | undefined;
  timeoutMs: number;
  captureContent: boolean;
  responder: AppResponder;
  index: number;
  targetIndex: number;
  tryNumber: number;
}

export interface AttemptResult {
  record: AttemptRecord;
  error?: GatewayError;
  facts?: ResponseFacts;
  /** Milliseconds from sending the request to the first byte written to the app (streams). */
  ttfcMs?: number;
  /** monoMs() when the attempt started. */
  startedMono: number;
}

/** One upstream try. Never throws: failures come back as `error` with the attempt record. */
export async function runAttempt(a: AttemptInput): Promise<AttemptResult> {
  const { deps, target, responder } = a;
  const provider = target.provider;
  const url = endpointOf(provider.baseUrl);
  const startedAtMs = epochMs();
  const t0 = monoMs();
  const start: AttemptStart = {
    operation: a.operation,
    provider: provider.name,
    providerName: provider.profile.genAiProviderName,
    model: target.model,
    stream: a.stream,
    serverAddress: url.hostname,
    startedAtMs,
  };
  if (url.port !== undefined) start.serverPort = url.port;
  const handle = a.call.startAttempt(start);

  const controller = new UpstreamAbort();
  const onClientAbort = () => controller.abort(new GatewayError({ kind: 'client_aborted', message: 'The client closed the connection.' }));
  let offClientAbort: (() => void) | undefined;
  if (responder.aborted) onClientAbort();
  else offClientAbort = responder.onAbort(onClientAbort);
  let deadline: NodeJS.Timeout | undefined = setTimeout(
    () =>
      controller.abort(new GatewayError({ kind: 'upstream_timeout', message: `The provider did not answer within ${a.timeoutMs} ms.` })),
    a.timeoutMs,
  );
  const clearDeadline = () => {
    if (deadline) clearTimeout(deadline);
    deadline = undefined;
  };

  let status: number | undefined;
  let facts: ResponseFacts | undefined;
  let error: GatewayError | undefined;
  let ttfcMs: number | undefined;
  try {
    const req = a.adapter.buildRequest({
      operation: a.operation,
      body: a.body,
      rawBody: a.rawBody,
      model: target.model,
      provider,
      ...(a.clientKey !== undefined ? { clientKey: a.clientKey } : {}),
    });
    const res = await deps.client.send(req, {
      signal: controller,
      timeoutMs: a.timeoutMs,
      extraHeaders: handle.propagationHeaders,
    });
    status = res.status;
    if (res.status >= 400) {
      const body = await readBody(res.body, 1024 * 1024);
      throw a.adapter.parseError(responseInput(a, res, body));
    }
    const contentType = String(res.headers['content-type'] ?? '');
    if (!a.stream || !contentType.includes('text/event-stream')) {
      const body = await readBody(res.body, deps.maxResponseBytes);
      const parsed = a.adapter.parseResponse(responseInput(a, res, body));
      if (a.stream) {
        throw new GatewayError({ kind: 'upstream_bad_response', message: 'The provider answered a streaming request without a stream.' });
      }
      clearDeadline();
      facts = parsed;
      responder.send(200, parsed.contentType, parsed.body);
    } else {
      const translator = a.adapter.createStreamTranslator({
        model: target.model,
        stripUsageChunk: req.injectedUsage,
        captureContent: a.captureContent,
      });
      const commit = () => {
        clearDeadline();
        responder.startStream('text/event-stream; charset=utf-8');
        ttfcMs = monoMs() - t0;
      };
      await pumpStream(res.body, (chunk) => {
        const step = translator.push(chunk);
        let wait: Promise<void> | undefined;
        if (step.out.length > 0) {
          if (!responder.committed) commit();
          // One write per upstream read (not per event): fewer syscalls, same bytes, same timing.
          wait = responder.write(step.out.length === 1 ? (step.out[0] as Buffer) : Buffer.concat(step.out));
        }
        if (step.error) throw step.error;
        return wait;
      });
      const last = translator.end();
      if (last.out.length > 0 && !responder.committed) {
        responder.startStream('text/event-stream; charset=utf-8');
        ttfcMs = monoMs() - t0;
      }
      if (last.out.length > 0) responder.write(Buffer.concat(last.out));
      facts = translator.facts();
      if (last.error) throw last.error;
      responder.end();
    }
  } catch (e) {
    error = asAttemptError(e, controller);
    const key = provider.apiKey();
    if (key && error.message.includes(key)) error = redactSecrets(error, [key]);
    if (responder.committed) responder.failStream(error);
  } finally {
    clearDeadline();
    offClientAbort?.();
  }

  const durationMs = toMicros(monoMs() - t0);
  const usage = facts?.usage;
  const record: AttemptRecord = {
    index: a.index,
    targetIndex: a.targetIndex,
    tryNumber: a.tryNumber,
    provider: provider.name,
    providerName: provider.profile.genAiProviderName,
    model: target.model,
    startedAtMs,
    durationMs,
    outcome: error ? 'error' : 'ok',
    costUsd: null,
    serverAddress: url.hostname,
    spanId: handle.spanId,
  };
  // Optional fields are set only when present (no `...(x ? {x} : {})` spreads on the hot path).
  if (facts?.responseModel) record.responseModel = facts.responseModel;
  if (facts?.responseId) record.responseId = facts.responseId;
  if (facts?.finishReasons?.length) record.finishReasons = facts.finishReasons;
  if (ttfcMs !== undefined) record.timeToFirstChunkMs = toMicros(ttfcMs);
  if (status !== undefined) record.httpStatus = status;
  if (error) record.errorType = error.kind;
  if (usage) {
    record.usage = usage;
    record.costUsd = deps.cost({
      provider: provider.name,
      providerName: provider.profile.genAiProviderName,
      model: facts?.responseModel ?? target.model,
      usage,
    });
  }
  if (url.port !== undefined) record.serverPort = url.port;
  handle.end(record);
  const result: AttemptResult = { record, startedMono: t0 };
  if (error) result.error = error;
  if (facts) result.facts = facts;
  if (ttfcMs !== undefined) result.ttfcMs = ttfcMs;
  return result;
}

/** What the adapter parses, as one literal of one shape (a spread made every load in the parser miss V8's inline caches). */
function responseInput(
  a: AttemptInput,
  res: { status: number; headers: UpstreamResponseInput['headers'] },
  body: Buffer,
): UpstreamResponseInput {
  return { operation: a.operation, status: res.status, headers: res.headers, body, model: a.target.model };
}

function asAttemptError(e: unknown, signal: UpstreamAbort): GatewayError {
  if (signal.aborted && signal.reason instanceof GatewayError) return signal.reason;
  if (e instanceof GatewayError) return e;
  const name = (e as { code?: string; name?: string }).code ?? (e as Error).name ?? 'error';
  if (name === 'UND_ERR_BODY_TIMEOUT' || name === 'UND_ERR_HEADERS_TIMEOUT') {
    return new GatewayError({ kind: 'upstream_timeout', message: 'The provider stopped sending data.' });
  }
  return new GatewayError({ kind: 'upstream_truncated', message: `The provider's response broke off (${name}).` });
}

const endpoints = new Map<string, { hostname: string; port: number | undefined }>();
/** Parsed once per base URL (the hot path must not parse a URL per attempt). */
function endpointOf(baseUrl: string): { hostname: string; port: number | undefined } {
  let e = endpoints.get(baseUrl);
  if (!e) {
    const u = new URL(baseUrl);
    e = { hostname: u.hostname, port: u.port ? Number(u.port) : undefined };
    if (endpoints.size < 1000) endpoints.set(baseUrl, e);
  }
  return e;
}

/**
 * Feeds an upstream body to `onChunk` with plain events (an async iterator costs a promise per
 * chunk on the hot path). Pauses the upstream while the app's socket is full (the returned
 * promise), and rejects on the first error from the body or from `onChunk`.
 */
function pumpStream(body: Readable, onChunk: (chunk: Buffer) => Promise<void> | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      body.off('data', onData);
      body.destroy();
      reject(e);
    };
    const onData = (chunk: Buffer) => {
      let wait: Promise<void> | undefined;
      try {
        wait = onChunk(chunk);
      } catch (e) {
        fail(e);
        return;
      }
      if (wait) {
        body.pause();
        wait.then(() => body.resume(), fail);
      }
    };
    body.on('data', onData);
    body.once('end', () => {
      if (!failed) resolve();
    });
    body.once('error', fail);
  });
}
