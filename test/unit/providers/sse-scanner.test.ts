import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSseParser } from '../../../src/providers/shared/sse-parser.js';
import { createSseScanner } from '../../../src/providers/shared/sse-scanner.js';

interface Seen {
  kind: 'dataLine' | 'event';
  data: string | undefined;
  event: string | undefined;
  raw: string;
  unterminated: boolean;
}

/**
 * What the full parser reads from the same reads. (Only where a CRLF is split between two reads do
 * the raw bytes depend on the reads: the LF then starts the next block's raw bytes.)
 */
function parse(reads: Buffer[]): Omit<Seen, 'kind'>[] {
  const p = createSseParser();
  return [...reads.flatMap((r) => p.push(r)), ...p.end()].map((e) => ({
    data: e.data,
    event: e.event,
    raw: e.raw.toString('latin1'),
    unterminated: e.unterminated,
  }));
}

function scan(reads: Buffer[], stopAfter = Number.POSITIVE_INFINITY): Seen[] {
  const seen: Seen[] = [];
  const s = createSseScanner({
    dataLine(bytes, text, start, dataStart, end) {
      assert.equal(text, bytes.toString('latin1'));
      const read = { bytes };
      seen.push({
        kind: 'dataLine',
        data: read.bytes.toString('utf8', dataStart, end),
        event: undefined,
        raw: read.bytes.toString('latin1', start, end + 2),
        unterminated: false,
      });
      return seen.length < stopAfter;
    },
    event(ev) {
      seen.push({ kind: 'event', data: ev.data, event: ev.event, raw: ev.raw.toString('latin1'), unterminated: ev.unterminated });
      return seen.length < stopAfter;
    },
  });
  for (const r of reads) s.push(r);
  s.end();
  return seen;
}

const strip = (s: Seen[]) => s.map(({ kind: _kind, ...rest }) => rest);

const LF_SAMPLE = Buffer.from(
  ': keep-alive\n\n' +
    'data: {"a":1}\n\n' +
    '\n\n' +
    'data:{"b":"caf\u00e9 \u4f60\u597d"}\n\n' +
    'event: message\nid: 7\ndata: {"c":3}\n\n' +
    'data: line one\ndata: line two\n\n' +
    'data\n\n' +
    'retry: 10\n\n' +
    'data: [DONE]\n\n' +
    'data: {"unterminated":true}',
);

const SAMPLES: [string, Buffer][] = [
  ['LF', LF_SAMPLE],
  ['LF ending in a single LF', Buffer.from('data: {"a":1}\n\ndata: [DONE]\n')],
  ['CRLF from the third event on', Buffer.from('data: {"a":1}\n\ndata: {"b":2}\n\ndata: {"c":3}\r\n\r\ndata: {"d":4}\n\n')],
  ['CR only', Buffer.from('data: {"a":1}\r\rdata: [DONE]\r\r')],
  ['BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), LF_SAMPLE])],
  ['a BOM after the start is not stripped', Buffer.from('data: {"a":1}\n\n\ufeffdata: {"b":2}\n\n')],
];

test('hands over exactly what the full parser reads, at every split point', () => {
  for (const [name, bytes] of SAMPLES) {
    const check = (reads: Buffer[], what: string) => assert.deepEqual(strip(scan(reads)), parse(reads), `${name}, ${what}`);
    for (let cut = 0; cut <= bytes.length; cut++) check([bytes.subarray(0, cut), bytes.subarray(cut)], `cut at ${cut}`);
    check(
      [...bytes].map((b) => Buffer.from([b])),
      'byte by byte',
    );
    for (let size = 2; size < 40; size++) {
      const reads: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) reads.push(bytes.subarray(i, i + size));
      check(reads, `reads of ${size}`);
    }
  }
});

test('one-line data events in LF streams come as offsets into the read; the rest as parsed events', () => {
  const kinds = scan([LF_SAMPLE]).map((s) => s.kind);
  assert.deepEqual(kinds, ['event', 'dataLine', 'dataLine', 'event', 'event', 'event', 'event', 'dataLine', 'event']);
  // A data line that spans reads is still one data line, its bytes joined.
  const split = scan([Buffer.from('data: {"a"'), Buffer.from(':1}\n'), Buffer.from('\ndata: {"b":2}\n\n')]);
  assert.deepEqual(
    split.map((s) => [s.kind, s.raw]),
    [
      ['dataLine', 'data: {"a":1}\n\n'],
      ['dataLine', 'data: {"b":2}\n\n'],
    ],
  );
});

test('a handler returning false stops the scan', () => {
  for (let cut = 0; cut <= LF_SAMPLE.length; cut++) {
    const seen = scan([LF_SAMPLE.subarray(0, cut), LF_SAMPLE.subarray(cut)], 2);
    assert.equal(seen.length, 2, `cut at ${cut}`);
  }
});
