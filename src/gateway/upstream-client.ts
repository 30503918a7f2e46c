import { EventEmitter } from 'node:events';
import { Agent, errors as undiciErrors } from 'undici';
import type { Dispatcher } from 'undici';
import { GatewayError } from '../core/errors.js';
import type { UpstreamRequest } from '../providers/types.js';

/**
 * The ONE place that talks HTTP to providers: pooled keep-alive connections (undici), per-attempt
 * deadline, idle timeout between body chunks, abort from the app's disconnect, and the mapping of
 * socket-level failures to error kinds. Headers and bodies are never logged here.
 */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

/**
 * Aborts one upstream exchange (client disconnect, shutdown, or the attempt deadline). undici takes
 * an EventEmitter with `aborted`/`reason` as its signal; it costs a fraction of an AbortController.
 */
export class UpstreamAbort extends EventEmitter {
  aborted = false;
  reason: GatewayError | undefined;

  abort(reason: GatewayError): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }
}

export interface SendOptions {
  signal: UpstreamAbort;
  /** Time allowed to receive response headers, and between two body chunks. */
  timeoutMs: number;
  extraHeaders?: Readonly<Record<string, string>>;
}

/** An endpoint URL split the way undici's top-level `request(url)` splits it. */
interface Endpoint {
  origin: string;
  path: string;
}

/** Endpoints seen, by URL string: a provider has a handful; the bound only guards odd configs. */
const ENDPOINT_CACHE_MAX = 256;

/**
 * The request's headers, then the extra ones, as the flat name/value list undici also takes. Given
 * an object, undici looks up `headers[Symbol.iterator]` first, and on these objects that lookup
 * missed V8's inline cache on every call (`node --log-ic`, docs/benchmarks.md).
 */
export function flatHeaders(headers: UpstreamRequest['headers'], extra: Readonly<Record<string, string>> | undefined): string[] {
  const flat: string[] = [];
  for (const name in headers) {
    if (extra !== undefined && Object.hasOwn(extra, name)) continue;
    flat.push(name, headers[name] as string);
  }
  if (extra !== undefined) for (const name in extra) flat.push(name, extra[name] as string);
  return flat;
}

export class UpstreamClient {
  private readonly agent: Agent;
  private readonly endpoints = new Map<string, Endpoint>();

  constructor(opts: { connectionsPerOrigin?: number; keepAliveTimeoutMs?: number } = {}) {
    this.agent = new Agent({
      keepAliveTimeout: opts.keepAliveTimeoutMs ?? 30_000,
      keepAliveMaxTimeout: 120_000,
      connections: opts.connectionsPerOrigin ?? 256,
      pipelining: 1,
    });
  }

  async send(req: UpstreamRequest, opts: SendOptions): Promise<UpstreamResponse> {
    const headers = flatHeaders(req.headers, opts.extraHeaders);
    try {
      const { origin, path } = this.endpoint(req.url);
      // The agent's own request(): undici's top-level request(url) would parse the URL and copy
      // these options on every call.
      const res = await this.agent.request({
        origin,
        path,
        method: req.method,
        headers,
        body: req.method === 'GET' ? null : req.body,
        signal: opts.signal,
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (e) {
      throw mapUpstreamFailure(e, opts.signal);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private endpoint(url: string): Endpoint {
    let e = this.endpoints.get(url);
    if (e === undefined) {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`unsupported protocol ${u.protocol}`);
      e = { origin: u.origin, path: u.search ? `${u.pathname}${u.search}` : u.pathname };
      if (this.endpoints.size >= ENDPOINT_CACHE_MAX) this.endpoints.clear();
      this.endpoints.set(url, e);
    }
    return e;
  }
}

/** Why an upstream exchange failed, as a GatewayError. The abort reason wins when the signal fired. */
export function mapUpstreamFailure(e: unknown, signal: { readonly aborted: boolean; readonly reason?: unknown }): GatewayError {
  if (signal.aborted) {
    const reason = signal.reason;
    if (reason instanceof GatewayError) return reason;
    return new GatewayError({ kind: 'client_aborted', message: 'The client closed the connection.' });
  }
  if (e instanceof GatewayError) return e;
  if (e instanceof undiciErrors.HeadersTimeoutError || e instanceof undiciErrors.BodyTimeoutError) {
    return new GatewayError({ kind: 'upstream_timeout', message: 'The provider did not answer in time.' });
  }
  if (e instanceof undiciErrors.ConnectTimeoutError) {
    return new GatewayError({ kind: 'upstream_timeout', message: 'Timed out connecting to the provider.' });
  }
  const code = (e as { code?: string }).code ?? 'unknown';
  return new GatewayError({ kind: 'upstream_connection', message: `Connection to the provider failed (${code}).` });
}

/** Reads a whole body with a size cap (non-stream responses and error bodies), with plain events. */
export function readBody(body: UpstreamResponse['body'], maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        body.destroy();
        reject(new GatewayError({ kind: 'upstream_bad_response', message: `The provider's response exceeded ${maxBytes} bytes.` }));
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    body.once('error', reject);
  });
}
