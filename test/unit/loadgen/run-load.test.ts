import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { loadgenCommand } from '../../../src/loadgen/loadgen-command.js';
import { runLoad } from '../../../src/loadgen/run-load.js';

interface Seen {
  feature: string;
  stream: boolean;
  model: string;
  auth: string | undefined;
}

/** A tiny OpenAI-compatible upstream: `search` answers 503, streams end with [DONE] unless truncated. */
function gateway(seen: Seen[]): Server {
  return createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { stream: boolean; model: string };
      const feature = String(req.headers['x-switchyard-feature']);
      seen.push({ feature, stream: body.stream, model: body.model, auth: req.headers.authorization });
      if (req.url !== '/v1/chat/completions') return res.writeHead(404).end();
      if (feature === 'search') {
        res.writeHead(503, { 'content-type': 'application/json' });
        return res.end('{"error":{"message":"down","type":"server_error","param":null,"code":null}}');
      }
      if (body.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n');
        res.end(feature === 'truncated' ? '' : 'data: [DONE]\n\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        '{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}',
      );
    });
  });
}

describe('loadgen', () => {
  const seen: Seen[] = [];
  const server = gateway(seen);
  let baseUrl = '';
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('sends at the asked rate, cycles features, mixes streaming, counts failures, logs progress', async () => {
    seen.length = 0;
    const lines: string[] = [];
    let n = 0;
    const snap = await runLoad({
      baseUrl,
      features: ['support-chat', 'coding', 'search'],
      rps: 40,
      durationMs: 1000,
      streamRatio: 0.5,
      model: 'fast',
      apiKey: 'sk-test',
      maxInFlight: 100,
      progressEveryMs: 300,
      timeoutMs: 5000,
      log: (l) => lines.push(l),
      // Two draws per call (stream?, prompt): every other call streams.
      random: () => [0.25, 0.5, 0.75, 0.5][n++ % 4] as number,
    });
    assert.equal(snap.sent, 40);
    assert.equal(seen.length, 40);
    assert.deepEqual(snap.byFeature, { 'support-chat': 14, coding: 13, search: 13 });
    assert.equal(snap.failed, 13);
    assert.equal(snap.ok, 27);
    assert.equal(snap.byStatus['503'], 13);
    assert.equal(snap.streamed, seen.filter((s) => s.stream).length);
    assert.equal(snap.streamed, 20);
    assert.ok(seen.every((s) => s.model === 'fast' && s.auth === 'Bearer sk-test'));
    assert.ok(lines.length >= 3, lines.join('\n'));
    assert.match(
      lines.at(-1) ?? '',
      /^loadgen: t=1s sent=40 ok=27 failed=13 \(503:13\) streamed=\d+ in_flight=0 p50=\d+ms p95=\d+ms done$/,
    );
  });

  it('counts a stream without [DONE] and a refused connection as failures', async () => {
    const snap = await runLoad({
      baseUrl,
      features: ['truncated'],
      rps: 20,
      durationMs: 200,
      streamRatio: 1,
      model: 'm',
      apiKey: 'k',
      maxInFlight: 10,
      progressEveryMs: 10_000,
      timeoutMs: 5000,
      log: () => {},
    });
    assert.equal(snap.sent, 4);
    assert.equal(snap.failed, 4);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = await runLoad({
      baseUrl: `http://127.0.0.1:${port}/v1`,
      features: ['x'],
      rps: 10,
      durationMs: 100,
      streamRatio: 0,
      model: 'm',
      apiKey: 'k',
      maxInFlight: 10,
      progressEveryMs: 10_000,
      timeoutMs: 2000,
      log: () => {},
    });
    assert.deepEqual(refused.byStatus, { network: 1 });
  });

  it('duration 0 runs until the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 250);
    const snap = await runLoad({
      baseUrl,
      features: ['coding'],
      rps: 20,
      durationMs: 0,
      streamRatio: 0,
      model: 'm',
      apiKey: 'k',
      maxInFlight: 10,
      progressEveryMs: 10_000,
      timeoutMs: 5000,
      signal: controller.signal,
      log: () => {},
    });
    assert.ok(snap.sent >= 4 && snap.sent <= 6, `sent ${snap.sent}`);
    assert.equal(snap.inFlight, 0);
  });

  it('the CLI command rejects bad flags with exit code 2', async () => {
    const write = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      assert.equal(await loadgenCommand.run(['--rps', 'fast']), 2);
      assert.equal(await loadgenCommand.run(['--stream-ratio', '2']), 2);
      assert.equal(await loadgenCommand.run(['--bogus']), 2);
    } finally {
      process.stderr.write = write;
    }
    assert.equal(loadgenCommand.name, 'loadgen');
  });
});
