/**
 * The baseline: a bare node:http + undici passthrough. Reads the request body, forwards it to
 * `--upstream ORIGIN` with an undici Pool (keep-alive), and pipes the response back as it arrives.
 * No parsing, no telemetry: the floor any gateway on this runtime pays for one extra hop.
 *
 *   node --import tsx bench/bare-proxy.ts --upstream http://127.0.0.1:PORT
 *
 * Prints one JSON line `{"msg":"bare proxy listening","api":"http://127.0.0.1:PORT"}` on stdout.
 */
import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length', 'upgrade', 'te', 'trailer']);

function forwardHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k)) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const upstream = arg('--upstream');
if (!upstream) throw new Error('bare-proxy: --upstream ORIGIN is required');
const pool = new Pool(upstream, { connections: 256, keepAliveTimeout: 60_000 });

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const abort = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const up = await pool.request({
    method: (req.method ?? 'GET') as 'POST',
    path: req.url ?? '/',
    headers: forwardHeaders(req.headers),
    body,
    signal: abort.signal,
  });
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(up.headers)) {
    if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
  }
  const length = up.headers['content-length'];
  if (typeof length === 'string') headers['content-length'] = length;
  res.writeHead(up.statusCode, headers);
  await pipeline(up.body, res);
}

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  handle(req, res).catch((e: Error) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `bare proxy: ${e.message}`, type: 'api_error', param: null, code: null } }));
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: 'bare proxy listening', api: `http://127.0.0.1:${port}` })}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void pool.close().finally(() => process.exit(0));
});
