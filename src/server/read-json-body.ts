import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../core/errors.js';

/** Reads the request body with a size limit and parses it as a JSON object. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<{ raw: Buffer; json: Record<string, unknown> }> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const raw = await collect(req, maxBytes);
  return { raw, json: parseJsonBody(raw) };
}

/** The body as a JSON object, or an invalid_json GatewayError. */
export function parseJsonBody(raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) {
    throw new GatewayError({ kind: 'invalid_json', message: 'The request body is empty; expected a JSON object.', code: 'invalid_json' });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new GatewayError({ kind: 'invalid_json', message: 'The request body is not valid JSON.', code: 'invalid_json' });
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new GatewayError({ kind: 'invalid_json', message: 'The request body must be a JSON object.', code: 'invalid_json' });
  }
  return json as Record<string, unknown>;
}

export function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError({
    kind: 'body_too_large',
    message: `The request body exceeds the sidecar's limit of ${maxBytes} bytes (server.max_body_bytes).`,
    code: 'body_too_large',
  });
}

/** Reads the body with plain events (cheaper than an async iterator on the hot path). */
function collect(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        req.resume();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
