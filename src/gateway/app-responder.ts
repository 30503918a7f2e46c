import type { GatewayError } from '../core/errors.js';

/**
 * The app's side of a call going away (it disconnected before the response was complete). A plain
 * callback rather than an AbortSignal: an EventTarget per call is measurable on the hot path.
 */
export interface AbortSource {
  readonly aborted: boolean;
  /** Calls `listener` once when the source aborts; returns the function that removes it. */
  onAbort(listener: () => void): () => void;
}

/**
 * How the gateway writes to the app. Implemented by the server, which owns the socket and the one
 * error renderer; the gateway only decides WHAT to send and WHEN (the commit point).
 */
export interface AppResponder extends AbortSource {
  /** True once a status line has been sent; after that there is no retry or fallback. */
  readonly committed: boolean;
  /** A complete (non-stream) response. */
  send(status: number, contentType: string, body: Buffer): void;
  /** Commit a stream: status 200 and SSE headers. */
  startStream(contentType: string): void;
  /** Write bytes of a committed stream; resolves when the socket can take more. */
  write(chunk: Buffer): Promise<void> | undefined;
  /** End a committed stream with an OpenAI-style error event. */
  failStream(error: GatewayError): void;
  end(): void;
}
