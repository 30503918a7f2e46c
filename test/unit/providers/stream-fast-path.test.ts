import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createOpenAiStreamTranslator } from '../../../src/providers/openai-compatible/stream-translator.js';
import type { StreamStep } from '../../../src/providers/types.js';
import { loadFixture, manifest, randomChunks } from '../../support/fixtures.js';

/**
 * The translator scans one-line `data:` events of LF streams itself (only the chunks that may
 * carry an error, a finish reason or usage are parsed) and uses the full SSE parser for everything
 * else. However the bytes are cut, the app must get the same bytes and the gateway the same facts.
 */
function feed(chunks: Buffer[], stripUsageChunk: boolean) {
  const t = createOpenAiStreamTranslator({ model: 'm', stripUsageChunk, captureContent: false });
  const out: Buffer[] = [];
  const errors: string[] = [];
  const take = (s: StreamStep) => {
    out.push(...s.out);
    if (s.error) errors.push(s.error.kind);
  };
  for (const c of chunks) take(t.push(c));
  take(t.end());
  return { bytes: Buffer.concat(out).toString('utf8'), facts: t.facts(), errors, events: t.eventCount };
}

function eventAligned(body: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let pos = 0;
  for (let end = body.indexOf('\n\n'); end !== -1; end = body.indexOf('\n\n', pos)) {
    parts.push(body.subarray(pos, end + 2));
    pos = end + 2;
  }
  if (pos < body.length) parts.push(body.subarray(pos));
  return parts;
}

const streams = manifest().filter((c) => c.stream && c.endpoint.includes('chat/completions') && c.status === 200);

describe('stream translator: fast path and full parser agree', () => {
  assert.ok(streams.length >= 6, `found ${streams.length} chat stream fixtures`);
  for (const c of streams) {
    const f = loadFixture(c.file);
    for (const strip of [false, true]) {
      test(`${c.file} (strip usage chunk: ${strip})`, () => {
        const reference = feed(randomChunks(f.body, 7, 13), strip);
        const whole = feed([f.body], strip);
        const aligned = feed(eventAligned(f.body), strip);
        const pairs = feed(
          eventAligned(f.body).flatMap((b, i, all) => (i % 2 === 0 ? [Buffer.concat([b, all[i + 1] ?? Buffer.alloc(0)])] : [])),
          strip,
        );
        for (const got of [whole, aligned, pairs]) {
          assert.equal(got.bytes, reference.bytes);
          assert.deepEqual(got.facts, reference.facts);
          assert.deepEqual(got.errors, reference.errors);
          assert.equal(got.events, reference.events);
        }
        assert.ok(reference.facts.finishReasons?.length, 'finish reasons observed');
      });
    }
  }

  test('a read split at every byte offset gives the same bytes, facts and errors (LF and CRLF)', () => {
    const text = loadFixture('openai/chat-stream-text').body;
    const usage = loadFixture('openai/chat-stream-include-usage-reasoning').body;
    const crlf = Buffer.from(usage.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
    let checked = 0;
    for (const body of [text, usage, crlf]) {
      // Known quirk, kept: when a read ends between a CR and its LF, the parser counts that LF in
      // the next block, so it is not forwarded if that block is not (stripped, or none). SSE
      // parsers do not care; CRLF bytes are compared without their LFs.
      const lfs = (s: string) => (body === crlf ? s.replaceAll('\n', '') : s);
      for (const strip of [false, true]) {
        const whole = feed([body], strip);
        assert.equal(whole.errors.length, 0);
        for (let cut = 0; cut <= body.length; cut++) {
          const got = feed([body.subarray(0, cut), body.subarray(cut)], strip);
          assert.equal(lfs(got.bytes), lfs(whole.bytes), `cut at ${cut}`);
          assert.deepEqual(got.facts, whole.facts, `cut at ${cut}`);
          assert.deepEqual(got.errors, whole.errors, `cut at ${cut}`);
          assert.equal(got.events, whole.events, `cut at ${cut}`);
          checked++;
        }
        const bytewise = feed(
          [...body].map((b) => Buffer.from([b])),
          strip,
        );
        assert.equal(lfs(bytewise.bytes), lfs(whole.bytes));
        assert.deepEqual(bytewise.facts, whole.facts);
      }
    }
    // Without the strip, the app gets the upstream bytes exactly.
    assert.equal(feed([text], false).bytes, text.toString('utf8'));
    assert.ok(checked > 2 * text.length);
  });

  test('the injected usage-only chunk is stripped however the reads cut it, and only when injected', () => {
    const body = loadFixture('openai/chat-stream-include-usage-reasoning').body;
    const usageChunk = body
      .toString('utf8')
      .split('\n\n')
      .find((e) => e.includes('"choices":[]'));
    assert.ok(usageChunk, 'the fixture has a usage-only chunk');
    for (let cut = 0; cut <= body.length; cut += 7) {
      const stripped = feed([body.subarray(0, cut), body.subarray(cut)], true);
      assert.ok(!stripped.bytes.includes('"choices":[]'), `cut at ${cut}`);
      assert.equal(stripped.bytes, body.toString('utf8').replace(`${usageChunk}\n\n`, ''));
      assert.ok(stripped.facts.usage?.inputTokens, 'usage read from the stripped chunk');
      assert.equal(feed([body.subarray(0, cut), body.subarray(cut)], false).bytes, body.toString('utf8'));
    }
  });

  test('a provider error event mid-stream breaks the stream at any cut; nothing after it is forwarded', () => {
    const good = 'data: {"id":"a","model":"m","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}\n\n';
    const body = Buffer.from(
      `${good}${good.replace('"x"', '"y"')}data: {"error":{"message":"overloaded","type":"server_error"}}\n\n${good}data: [DONE]\n\n`,
    );
    for (let cut = 0; cut <= body.length; cut++) {
      const got = feed([body.subarray(0, cut), body.subarray(cut)], false);
      assert.deepEqual(got.errors, ['upstream_server_error'], `cut at ${cut}`);
      assert.equal(got.bytes, good + good.replace('"x"', '"y"'), `cut at ${cut}`);
    }
  });

  test('a malformed chunk between plain deltas is caught on the fast path', () => {
    const body = Buffer.from(
      'data: {"id":"a","model":"m","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}\n\n' +
        'data: {"id":"a","choices":[{"index":0,"delta":{"content":"y"},"finish_reason":null}]}\n\n' +
        'data: <html>upstream proxy error</html>\n\n' +
        'data: [DONE]\n\n',
    );
    const got = feed([body], false);
    assert.deepEqual(got.errors, ['upstream_bad_response']);
    assert.equal(got.bytes.split('\n\n').filter(Boolean).length, 2, 'the two good events were forwarded, nothing after the bad one');
  });

  test('a read whose events are all forwarded leaves as that same Buffer; a stripped chunk splits it', () => {
    const text = loadFixture('openai/chat-stream-text').body;
    const t = createOpenAiStreamTranslator({ model: 'm', stripUsageChunk: true, captureContent: false });
    const read = Buffer.from(text);
    const step = t.push(read);
    assert.equal(step.error, undefined);
    assert.equal(step.out.length, 1);
    assert.equal(step.out[0], read, 'no slice and no copy of a read forwarded whole');
    assert.equal(t.end().error, undefined);

    const usage = loadFixture('openai/chat-stream-include-usage-reasoning').body;
    const u = createOpenAiStreamTranslator({ model: 'm', stripUsageChunk: true, captureContent: false });
    const parts = u.push(usage).out;
    assert.equal(parts.length, 2, 'before and after the stripped usage-only chunk');
    assert.ok(
      parts.every((p) => p.buffer === usage.buffer),
      'slices of the read, not copies',
    );
  });

  test('a usage-only chunk written with spaces is still read and stripped', () => {
    const plain = 'data: {"id":"a","model":"m","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}\n\n';
    const last = 'data: {"id":"a","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n';
    const usageOnly = 'data: {"id":"a","choices" : [ ],"usage" : {"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}}\n\n';
    const got = feed([Buffer.from(`${plain}${plain}${last}${usageOnly}data: [DONE]\n\n`)], true);
    assert.deepEqual(got.errors, []);
    assert.equal(got.bytes, `${plain}${plain}${last}data: [DONE]\n\n`);
    assert.equal(got.facts.usage?.inputTokens, 4);
    assert.equal(got.facts.usage?.outputTokens, 2);
  });
});
