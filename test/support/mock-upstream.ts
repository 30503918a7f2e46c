import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A provider upstream on 127.0.0.1:0 for tests. Each request takes the next scripted reply:
 * recorded fixture bytes (replayed byte for byte, optionally in small writes), or a fault —
 * a status with Retry-After, a connection reset, a hang, a stream cut short.
 */
export type Reply =
  | {
      kind: 'bytes';
      status: number;
      contentType: string;
      body: Buffer;
      headers?: Record<string, string>;
      chunkSize?: number;
      chunkDelayMs?: number;
    }
  | { kind: 'reset' }
  | { kind: 'hang' }
  /** Sends headers and the first `bytes` of body, then destroys the socket. */
  | { kind: 'cut'; status: number; contentType: string; body: Buffer; bytes: number }
  /** Sends the first `bytes` of body, then stalls forever. */
  | { kind: 'stall'; status: number; contentType: string; body: Buffer; bytes: number };

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json?: Record<string, unknown>;
}

export interface MockUpstream {
  url: string;
  /** Base URL including /v1. */
  baseUrl: string;
  requests: SeenRequest[];
  /** Queue replies; when the queue is empty the `fallback` reply (if any) answers. */
  enqueue(...replies: Reply[]): void;
  fallback?: Reply;
  setFallback(reply: Reply | undefined): void;
  /** Resolves when a request's socket closed before the reply finished (client abort seen upstream). */
  aborted: number;
  close(): Promise<void>;
}

export function jsonReply(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return {
    kind: 'bytes',
    status,
    contentType: 'application/json',
    body: Buffer.from(JSON.stringify(body)),
    ...(headers ? { headers } : {}),
  };
}

export async function startMockUpstream(): Promise<MockUpstream> {
  const queue: Reply[] = [];
  const requests: SeenRequest[] = [];
  const state = { fallback: undefined as Reply | undefined, aborted: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      } catch {}
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, ...(json ? { json } : {}) });
      const reply = queue.shift() ?? state.fallback;
      res.once('close', () => {
        if (!res.writableFinished) state.aborted++;
      });
      if (!reply) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"mock upstream: no reply scripted"}}');
        return;
      }
      void play(reply, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    baseUrl: `${url}/v1`,
    requests,
    enqueue: (...r) => queue.push(...r),
    get fallback() {
      return state.fallback;
    },
    setFallback: (r) => {
      state.fallback = r;
    },
    get aborted() {
      return state.aborted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function play(reply: Reply, res: ServerResponse): Promise<void> {
  switch (reply.kind) {
    case 'reset':
      res.socket?.destroy();
      return;
    case 'hang':
      return;
    case 'cut':
    case 'stall':
      res.writeHead(reply.status, { 'content-type': reply.contentType });
      res.write(reply.body.subarray(0, reply.bytes));
      if (reply.kind === 'cut') setTimeout(() => res.socket?.destroy(), 20);
      return;
    case 'bytes': {
      const headers: Record<string, string | number> = { 'content-type': reply.contentType, ...(reply.headers ?? {}) };
      if (!reply.chunkSize) {
        headers['content-length'] = reply.body.length;
        res.writeHead(reply.status, headers);
        res.end(reply.body);
        return;
      }
      res.writeHead(reply.status, headers);
      for (let i = 0; i < reply.body.length; i += reply.chunkSize) {
        if (res.destroyed) return;
        res.write(reply.body.subarray(i, i + reply.chunkSize));
        if (reply.chunkDelayMs) await new Promise((r) => setTimeout(r, reply.chunkDelayMs));
      }
      res.end();
    }
  }
}
