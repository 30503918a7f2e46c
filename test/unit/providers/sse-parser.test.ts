import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSseParser, type SseEvent } from '../../../src/providers/shared/sse-parser.js';
import { formatSseComment, formatSseEvent, SSE_DONE } from '../../../src/providers/shared/sse-writer.js';

function feedAll(bytes: Buffer, sizes: (i: number) => number): { events: SseEvent[]; tail: SseEvent[] } {
  const p = createSseParser();
  const events: SseEvent[] = [];
  let off = 0;
  let i = 0;
  while (off < bytes.length) {
    const n = Math.max(1, sizes(i++));
    events.push(...p.push(bytes.subarray(off, off + n)));
    off += n;
  }
  return { events, tail: p.end() };
}

const SAMPLE = Buffer.from(
  ': keep-alive\r\n\r\n' +
    'event: message\r\nid: 7\r\nretry: 1500\r\ndata: {"a":1}\r\n\r\n' +
    'data: line one\ndata: line two\n\n' +
    'data: caf\u00e9 \u2603\r\r' +
    'data:no-space\nfoo: ignored\n\n' +
    'data: [DONE]\n\n',
);

test('parses every field kind and line ending, at every split point', () => {
  for (let size = 1; size <= SAMPLE.length; size++) {
    const { events, tail } = feedAll(SAMPLE, () => size);
    assert.equal(tail.length, 0, `size ${size}`);
    assert.deepEqual(
      events.map((e) => e.data),
      [undefined, '{"a":1}', 'line one\nline two', 'caf\u00e9 \u2603', 'no-space', '[DONE]'],
      `size ${size}`,
    );
    assert.deepEqual(events[0]?.comments, ['keep-alive']);
    assert.equal(events[1]?.event, 'message');
    assert.equal(events[1]?.id, '7');
    assert.equal(events[1]?.retry, 1500);
    // Raw bytes concatenate back to the input exactly.
    assert.deepEqual(Buffer.concat(events.map((e) => e.raw)), SAMPLE, `size ${size}`);
  }
});

test('raw bytes of each event are exactly its block when no CRLF is split', () => {
  const { events } = feedAll(SAMPLE, () => 1000);
  assert.equal(events[2]?.raw.toString(), 'data: line one\ndata: line two\n\n');
  assert.equal(events[3]?.raw.toString(), 'data: caf\u00e9 \u2603\r\r');
});

test('multi-byte UTF-8 split across chunks decodes correctly', () => {
  const bytes = Buffer.from('data: \u4f60\u597d\ud83d\ude00\n\n');
  for (let size = 1; size < 6; size++) {
    const { events } = feedAll(bytes, () => size);
    assert.equal(events[0]?.data, '\u4f60\u597d\ud83d\ude00');
  }
});

test('a leading BOM is ignored but kept in raw bytes', () => {
  const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('data: x\n\n')]);
  for (let size = 1; size <= 4; size++) {
    const { events } = feedAll(bytes, () => size);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.data, 'x');
    assert.deepEqual(events[0]?.raw, bytes);
  }
});

test('end() returns an unterminated final block and drops nothing silently', () => {
  const p = createSseParser();
  assert.equal(p.push(Buffer.from('data: a\n\ndata: [DONE]')).length, 1);
  const tail = p.end();
  assert.equal(tail.length, 1);
  assert.equal(tail[0]?.data, '[DONE]');
  assert.equal(tail[0]?.unterminated, true);
  assert.deepEqual(p.end(), []);
  assert.deepEqual(p.push(Buffer.from('data: late\n\n')), []);
});

test('blank lines alone dispatch nothing', () => {
  const { events, tail } = feedAll(Buffer.from('\n\n\r\n\r\n'), () => 1);
  assert.equal(events.length + tail.length, 0);
});

test('writer output round-trips through the parser', () => {
  const bytes = Buffer.concat([
    formatSseEvent({ event: 'delta', id: '1', data: 'one\ntwo' }),
    formatSseEvent({ data: { x: [1, 2] } }),
    formatSseComment('ping'),
    SSE_DONE,
  ]);
  const { events } = feedAll(bytes, (i) => (i % 3) + 1);
  assert.deepEqual(
    events.map((e) => [e.event, e.data, e.comments]),
    [
      ['delta', 'one\ntwo', []],
      [undefined, '{"x":[1,2]}', []],
      [undefined, undefined, ['ping']],
      [undefined, '[DONE]', []],
    ],
  );
  assert.throws(() => formatSseEvent({ event: 'a\nb', data: '' }), TypeError);
});
