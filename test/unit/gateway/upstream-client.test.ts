import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { GatewayError } from '../../../src/core/errors.js';
import { incomingCall } from '../../../src/gateway/handle-call.js';
import { flatHeaders, UpstreamAbort, UpstreamClient } from '../../../src/gateway/upstream-client.js';

test('flatHeaders: the request headers in order, then the extra ones, an extra one replacing its namesake', () => {
  assert.deepEqual(flatHeaders({ 'content-type': 'application/json', accept: 'text/event-stream' }, undefined), [
    'content-type',
    'application/json',
    'accept',
    'text/event-stream',
  ]);
  assert.deepEqual(flatHeaders({ authorization: 'Bearer k', traceparent: 'old' }, { traceparent: '00-a-b-01', tracestate: 'x=1' }), [
    'authorization',
    'Bearer k',
    'traceparent',
    '00-a-b-01',
    'tracestate',
    'x=1',
  ]);
  assert.deepEqual(flatHeaders({}, {}), []);
});

test('UpstreamClient sends the flat headers, each once, and the extra value wins', async (t) => {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.rawHeaders));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = new UpstreamClient();
  t.after(async () => {
    await client.close();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  const res = await client.send(
    {
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test', traceparent: 'stale' },
      body: '{}',
      stream: false,
      injectedUsage: false,
    },
    {
      signal: new UpstreamAbort(),
      timeoutMs: 5000,
      extraHeaders: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    },
  );
  assert.equal(res.status, 200);
  const raw = JSON.parse(await res.body.text()) as string[];
  const names = raw.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  const value = (name: string) => raw[names.indexOf(name) * 2 + 1];
  assert.equal(names.filter((n) => n === 'traceparent').length, 1, 'traceparent sent once');
  assert.equal(value('traceparent'), '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  assert.equal(value('authorization'), 'Bearer sk-test');
  assert.equal(value('content-type'), 'application/json');
});

test('incomingCall builds every call with the same keys in the same order, rejected or not', () => {
  const responder = {} as Parameters<typeof incomingCall>[0]['responder'];
  const base = {
    operation: 'chat' as const,
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { a: 'b' },
    receivedAt: 12.5,
    responder,
  };
  const raw = Buffer.from('{"model":"m"}');
  const ok = incomingCall(base, { model: 'm' }, raw, undefined);
  const rejected = incomingCall(base, {}, Buffer.alloc(0), new GatewayError({ kind: 'invalid_request', message: 'bad JSON' }));
  assert.deepEqual(Object.keys(ok), Object.keys(rejected));
  assert.deepEqual(Object.keys(ok), ['operation', 'method', 'path', 'body', 'rawBody', 'headers', 'receivedAt', 'responder', 'rejected']);
  assert.equal(ok.rawBody, raw);
  assert.equal(ok.headers, base.headers);
  assert.equal(ok.receivedAt, 12.5);
  assert.equal(ok.rejected, undefined);
  assert.equal(rejected.rejected?.message, 'bad JSON');
});
