import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../core/errors.js';

/** Reads the request body with a size limit and parses it as a JSON object. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<{ raw: Buffer; json: Record<string, unknown> }> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk as Buffer);
  }
  const raw = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
  if (size === 0) {
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
  return { raw, json: json as Record<string, unknown> };
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError({
    kind: 'body_too_large',
    message: `The request body exceeds the sidecar's limit of ${maxBytes} bytes (server.max_body_bytes).`,
    code: 'body_too_large',
  });
}
