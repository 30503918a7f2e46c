/**
 * The bench's side process (pinned with the load generator): three loopback listeners.
 * - `mock`: an OpenAI upstream replaying recorded fixtures byte for byte:
 *   `openai/chat-completion-tool-calls` for `"stream": false`, `openai/chat-stream-text` for
 *   `"stream": true` (one write, chunked transfer encoding, as a recorded body carries no length).
 * - `slow`: the same stream, but the first SSE event, then 50 ms, then the rest: time to first
 *   chunk through a proxy shows whether it forwards incrementally.
 * - `otlp`: an OTLP/HTTP receiver that accepts every post and discards it.
 * Prints one JSON line `{"msg":"bench mock ready", mock, slow, otlp}` on stdout.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LoadedFixture } from '../test/support/fixtures.js';
import { SLOW_GAP_MS, firstEventEnd, fixtureFor } from './fixture-bytes.js';

function readBody(req: IncomingMessage, done: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => done(Buffer.concat(chunks)));
}

function wantsStream(body: Buffer): boolean {
  try {
    return (JSON.parse(body.toString('utf8')) as { stream?: unknown }).stream === true;
  } catch {
    return false;
  }
}

function sendJson(res: ServerResponse, f: LoadedFixture): void {
  res.writeHead(f.status, { 'content-type': f.contentType, 'content-length': f.body.length });
  res.end(f.body);
}

function sendStream(res: ServerResponse, f: LoadedFixture, gapMs: number): void {
  res.writeHead(f.status, { 'content-type': f.contentType, 'cache-control': 'no-cache' });
  if (gapMs <= 0) {
    res.write(f.body);
    res.end();
    return;
  }
  const cut = firstEventEnd(f.body);
  res.write(f.body.subarray(0, cut));
  setTimeout(() => {
    if (res.destroyed) return;
    res.write(f.body.subarray(cut));
    res.end();
  }, gapMs);
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end('{"error":{"message":"bench mock: only POST /v1/chat/completions","type":"invalid_request_error","param":null,"code":null}}');
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer({ keepAliveTimeout: 60_000 }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function main(): Promise<void> {
  const json = fixtureFor('non-stream');
  const sse = fixtureFor('stream');
  const upstream = (gapMs: number) => (req: IncomingMessage, res: ServerResponse) => {
    readBody(req, (body) => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) return notFound(res);
      if (wantsStream(body)) sendStream(res, sse, gapMs);
      else sendJson(res, json);
    });
  };
  const mock = await listen(upstream(0));
  const slow = await listen(upstream(SLOW_GAP_MS));
  const otlp = await listen((req, res) => {
    req.resume();
    req.on('end', () => {
      const proto = String(req.headers['content-type'] ?? '').includes('protobuf');
      res.writeHead(200, { 'content-type': proto ? 'application/x-protobuf' : 'application/json' });
      res.end(proto ? undefined : '{}');
    });
  });
  process.stdout.write(`${JSON.stringify({ msg: 'bench mock ready', mock, slow, otlp })}\n`);
  process.on('SIGTERM', () => process.exit(0));
}

await main();
