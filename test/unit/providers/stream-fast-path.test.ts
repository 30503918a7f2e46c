import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createOpenAiStreamTranslator } from '../../../src/providers/openai-compatible/stream-translator.js';
import type { StreamStep } from '../../../src/providers/types.js';
import { loadFixture, manifest, randomChunks } from '../../support/fixtures.js';

/**
 * The translator has a fast path for whole plain `data:` events at a chunk boundary and a full
 * SSE parser for everything else. However the bytes are cut, the app must get the same bytes and
 * the gateway the same facts.
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
});
