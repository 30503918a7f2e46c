import type { ServerResponse } from 'node:http';
import type { GatewayError } from '../core/errors.js';

/**
 * The ONE place that writes an OpenAI-style error body: {"error":{"message","type","param","code"}}.
 * Messages are built by our code and never contain keys or prompt text.
 */
export function errorBody(error: GatewayError): string {
  return JSON.stringify({ error: { message: error.message, type: error.type, param: error.param, code: error.code } });
}

export function sendError(res: ServerResponse, error: GatewayError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(error);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  };
  if (error.retryAfterMs !== undefined && error.status === 429) headers['retry-after'] = Math.ceil(error.retryAfterMs / 1000);
  res.writeHead(error.status, headers);
  res.end(body);
}

/** The SSE event that ends a committed stream with an error (the OpenAI SDK raises it as APIError). */
export function streamErrorEvent(error: GatewayError): Buffer {
  return Buffer.from(`data: ${errorBody(error)}\n\n`);
}
