import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'undici';
import { GatewayError } from '../../src/core/errors.js';
import { createFastFront, type FastFront, type FastHandler } from '../../src/server/fast-http/fast-front.js';

/**
 * The fast front over a real node:http server and real sockets. Responses are read with undici
 * (its llhttp parser is strict about framing) or as raw bytes where the test is about bytes.
 * The node:http handler answers `{"via":"node",…}`, the fast routes `{"via":"fast",…}`.
 */
let server: Server;
let front: FastFront;
let origin: string;
let port: number;
let draining = false;
const aborted: string[] = [];

const routes: Record<string, FastHandler> = {
  '/fast': async (req, res) => {
    const body = JSON.stringify({
      via: 'fast',
      path: req.path,
      target: req.head.target,
      bytes: req.body?.length ?? -1,
      feature: req.head.headers['x-feature'] ?? null,
    });
    res.send(200, 'application/json', Buffer.from(body));
  },
  '/fast-big': async (_req, res) => {
    res.send(200, 'application/octet-stream', Buffer.alloc(100_000, 0x61));
  },
  '/fast-stream': async (_req, res) => {
    res.startStream('text/event-stream');
    for (let i = 0; i < 3; i++) {
      await res.write(Buffer.from(`data: ${i}\n\n`));
      await sleep(5);
    }
    await res.write(Buffer.alloc(40_000, 0x62));
    res.end();
  },
  '/fast-fail-stream': async (_req, res) => {
    res.startStream('text/event-stream');
    await res.write(Buffer.from('data: 0\n\n'));
    res.failStream(new GatewayError({ kind: 'upstream_truncated', message: 'broke off' }));
  },
  '/fast-too-large-aware': async (req, res) => {
    if (req.body === undefined) res.sendError(new GatewayError({ kind: 'body_too_large', message: 'too large' }), true);
    else res.send(200, 'text/plain', Buffer.from('ok'));
  },
  '/fast-wait-abort': async (_req, res) => {
    await new Promise<void>((resolve) => res.onAbort(resolve));
    aborted.push('wait-abort');
  },
  '/fast-forgets': async () => {},
  '/fast-slow': async (_req, res) => {
    await sleep(300);
    res.send(200, 'text/plain', Buffer.from('slow'));
  },
};

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({ via: 'node', method: req.method, url: req.url, body: Buffer.concat(chunks).toString() });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  front = createFastFront({
    server,
    route: (head, path) => (head.method === 'POST' && !draining ? routes[path] : undefined),
    maxBodyBytes: () => 1000,
    draining: () => draining,
    onError: () => undefined,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
});

after(async () => {
  front.closeAllConnections();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function json(client: Client, path: string, body = '{}', headers: Record<string, string> = {}) {
  const r = await client.request({ method: 'POST', path, body, headers: { 'content-type': 'application/json', ...headers } });
  return { status: r.statusCode, headers: r.headers, body: JSON.parse(await r.body.text()) };
}

/** Raw exchange: writes `bytes` (in pieces of `step` bytes), reads until the socket has `expect` responses or closes. */
async function raw(
  bytes: Buffer,
  step = bytes.length,
  until: (text: string) => boolean = () => false,
): Promise<{ text: string; closed: boolean }> {
  const socket: Socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.setNoDelay(true);
  let text = '';
  let closed = false;
  socket.on('data', (d: Buffer) => {
    text += d.toString('latin1');
  });
  socket.on('close', () => {
    closed = true;
  });
  for (let i = 0; i < bytes.length; i += step) {
    socket.write(bytes.subarray(i, i + step));
    if (step < bytes.length) await sleep(0);
  }
  const deadline = Date.now() + 5000;
  while (!closed && !until(text) && Date.now() < deadline) await sleep(5);
  socket.destroy();
  return { text, closed };
}

const post = (path: string, body: string, extra = '') =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

describe('fast front', () => {
  it('serves claimed requests itself, keep-alive, with node:http-equivalent headers', async () => {
    const client = new Client(origin);
    try {
      for (let i = 0; i < 3; i++) {
        const r = await json(client, '/fast?q=1', '{"a":1}', { 'X-Feature': 'chat' });
        assert.equal(r.status, 200);
        assert.deepEqual(r.body, { via: 'fast', path: '/fast', target: '/fast?q=1', bytes: 7, feature: 'chat' });
        assert.equal(r.headers.connection, 'keep-alive');
        assert.equal(r.headers['keep-alive'], `timeout=${Math.floor(server.keepAliveTimeout / 1000)}`);
        assert.equal(r.headers['content-length'], String(Buffer.byteLength(JSON.stringify(r.body))));
        assert.ok(!Number.isNaN(Date.parse(String(r.headers.date))));
      }
      assert.equal(front.connections, 1);
    } finally {
      await client.close();
    }
  });

  it('writes a large body whole (content-length framing)', async () => {
    const client = new Client(origin);
    try {
      const r = await client.request({ method: 'POST', path: '/fast-big', body: '' });
      const body = Buffer.from(await r.body.arrayBuffer());
      assert.equal(body.length, 100_000);
      assert.ok(body.every((b) => b === 0x61));
    } finally {
      await client.close();
    }
  });

  it('reads a request delivered one byte at a time, and two pipelined requests in order', async () => {
    const two = Buffer.from(post('/fast', '{"n":1}') + post('/fast', '{"n":22}'));
    for (const step of [1, 7, two.length]) {
      const { text } = await raw(two, step, (t) => (t.match(/HTTP\/1\.1 200/g) ?? []).length === 2 && t.endsWith('}'));
      const bodies = [...text.matchAll(/\r\n\r\n(\{[^}]*\})/g)].map((m) => JSON.parse(m[1] as string));
      assert.deepEqual(
        bodies.map((b) => b.bytes),
        [7, 8],
        `step ${step}: ${text}`,
      );
    }
  });

  it('streams with chunked framing, the head going out with the first chunk', async () => {
    const client = new Client(origin);
    try {
      const r = await client.request({ method: 'POST', path: '/fast-stream', body: '{}' });
      assert.equal(r.headers['transfer-encoding'], 'chunked');
      assert.equal(r.headers['content-type'], 'text/event-stream');
      assert.equal(r.headers['cache-control'], 'no-cache');
      const text = await r.body.text();
      assert.ok(text.startsWith('data: 0\n\ndata: 1\n\ndata: 2\n\nbbbb'));
      assert.equal(text.length, 27 + 40_000);
      // The connection is reusable after the stream.
      assert.equal((await json(client, '/fast')).body.via, 'fast');
    } finally {
      await client.close();
    }
  });

  it('ends a failed stream with the error event and a proper last chunk', async () => {
    const client = new Client(origin);
    try {
      const r = await client.request({ method: 'POST', path: '/fast-fail-stream', body: '{}' });
      const text = await r.body.text();
      assert.equal(text.split('\n\n')[0], 'data: 0');
      assert.match(text, /data: \{"error":\{"message":"broke off","type":"api_error"/);
    } finally {
      await client.close();
    }
  });

  it('hands unclaimed requests and unusual shapes to node:http, bytes intact', async () => {
    const client = new Client(origin);
    try {
      // Fast first, then an unclaimed path on the same connection: node:http gets the socket.
      assert.equal((await json(client, '/fast')).body.via, 'fast');
      const other = await json(client, '/elsewhere', '{"x":1}');
      assert.deepEqual(other.body, { via: 'node', method: 'POST', url: '/elsewhere', body: '{"x":1}' });
      // From then on node:http serves that connection, claimed paths included.
      assert.equal((await json(client, '/fast')).body.via, 'node');
    } finally {
      await client.close();
    }
    const chunked = await raw(
      Buffer.from('POST /fast HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{"a\r\n3\r\n":1\r\n1\r\n}\r\n0\r\n\r\n'),
      5,
      (t) => t.endsWith('0\r\n\r\n'),
    );
    assert.match(chunked.text, /"via":"node","method":"POST","url":"\/fast","body":"\{\\"a\\":1\}"/);
    const expect = await raw(Buffer.from(post('/fast', '{}', 'Expect: 100-continue\r\n')), undefined, (t) => t.endsWith('0\r\n\r\n'));
    assert.match(expect.text, /"via":"node"/);
  });

  it('lets node:http answer malformed bytes (400) and oversized heads (431)', async () => {
    const bad = await raw(Buffer.from('POST /fast HTTP/1.1\r\nBad Header: x\r\n\r\n'));
    assert.match(bad.text, /^HTTP\/1\.1 400 /);
    const huge = await raw(Buffer.from(`POST /fast HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    assert.match(huge.text, /^HTTP\/1\.1 431 /);
  });

  it('answers an over-limit body at once (not read) and closes the connection', async () => {
    const r = await raw(Buffer.from(post('/fast-too-large-aware', 'x'.repeat(5000))));
    assert.match(r.text, /^HTTP\/1\.1 413 Payload Too Large\r\n/);
    assert.match(r.text, /connection: close/);
    assert.match(r.text, /"code":"body_too_large"/);
    assert.equal(r.closed, true);
  });

  it('closes after the response when the client asks or the server drains', async () => {
    const asked = await raw(Buffer.from(post('/fast', '{}', 'Connection: close\r\n')));
    assert.match(asked.text, /connection: close/);
    assert.equal(asked.closed, true);
    draining = true;
    try {
      // Draining: the front claims nothing, node:http's handler answers.
      const r = await raw(Buffer.from(post('/fast', '{}')), undefined, (t) => t.endsWith('0\r\n\r\n'));
      assert.match(r.text, /"via":"node"/);
    } finally {
      draining = false;
    }
  });

  it('aborts the responder signal when the client goes away mid-call', async () => {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(post('/fast-wait-abort', '{}'));
    await sleep(50);
    socket.destroy();
    const deadline = Date.now() + 3000;
    while (!aborted.includes('wait-abort') && Date.now() < deadline) await sleep(10);
    assert.deepEqual(aborted, ['wait-abort']);
  });

  it('answers 500 for a handler that returns without responding', async () => {
    const r = await raw(Buffer.from(post('/fast-forgets', '{}')), undefined, (t) => t.endsWith('}'));
    assert.match(r.text, /^HTTP\/1\.1 500 /);
    assert.match(r.text, /"type":"api_error"/);
  });

  it('times out slow heads (408) and idle keep-alive connections', async () => {
    const saved = { headers: server.headersTimeout, keepAlive: server.keepAliveTimeout };
    server.headersTimeout = 1000;
    server.keepAliveTimeout = 1000;
    try {
      const slow = await raw(Buffer.from('POST /fast HTTP/1.1\r\nHost: x\r\n'));
      assert.match(slow.text, /^HTTP\/1\.1 408 /);
      assert.match(slow.text, /connection: close/);
      assert.match(
        slow.text,
        /\{"error":\{"message":"The request was not received in time\.","type":"invalid_request_error","param":null,"code":"request_timeout"\}\}$/,
      );
      assert.equal(slow.closed, true);
      const idle = await raw(Buffer.from(post('/fast', '{}')), undefined, () => false);
      assert.match(idle.text, /^HTTP\/1\.1 200 /);
      assert.equal(idle.closed, true, 'the idle connection was closed by the server');
    } finally {
      server.headersTimeout = saved.headers;
      server.keepAliveTimeout = saved.keepAlive;
    }
  });

  it('closeIdleConnections spares a busy connection; closeAllConnections does not', async () => {
    const idleClient = new Client(origin);
    const busyClient = new Client(origin);
    try {
      await json(idleClient, '/fast');
      const pending = busyClient.request({ method: 'POST', path: '/fast-slow', body: '{}' });
      await sleep(50);
      assert.equal(front.connections, 2);
      front.closeIdleConnections();
      assert.equal(front.connections, 1);
      const r = await pending;
      assert.equal(await r.body.text(), 'slow');
      front.closeAllConnections();
      assert.equal(front.connections, 0);
    } finally {
      await idleClient.close();
      await busyClient.close();
    }
  });
});
