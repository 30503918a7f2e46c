import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OBSERVED_KEYS, ObservedKeyScan } from '../../../src/providers/openai-compatible/observed-keys.js';

/** A small deterministic PRNG, so a failure names a reproducible case. */
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

const TOKENS = [
  '"usage"',
  '"error"',
  '"finish_reason"',
  '"choices"',
  'usage"',
  'rror"',
  '_reason"',
  '"c',
  ':',
  ' ',
  '\t',
  '\u00a0',
  '\u0085',
  'null',
  'nul',
  '"stop"',
  '[',
  ']',
  '{',
  '}',
  ',',
  '{"prompt_tokens":3}',
  '\\"',
  'x',
];

test('the scan gives the regex answer for every range, in one pass over the text', () => {
  const rnd = prng(7);
  let positives = 0;
  let checks = 0;
  for (let round = 0; round < 4000; round++) {
    // Events separated by "\n\n", as in an upstream read; ranges are the data of each event.
    const events: string[] = [];
    const count = 1 + Math.floor(rnd() * 6);
    for (let e = 0; e < count; e++) {
      let s = '';
      const len = Math.floor(rnd() * 12);
      for (let i = 0; i < len; i++) s += TOKENS[Math.floor(rnd() * TOKENS.length)];
      events.push(s);
    }
    let text = '';
    const ranges: [number, number][] = [];
    for (const e of events) {
      text += 'data: ';
      ranges.push([text.length, text.length + e.length]);
      text += `${e}\n\n`;
    }
    const scan = new ObservedKeyScan(text);
    for (const [a, b] of ranges) {
      // Skip some ranges: the scan must not depend on being asked about every event.
      if (rnd() < 0.2) continue;
      const want = OBSERVED_KEYS.test(text.slice(a, b));
      assert.equal(scan.test(a, b), want, JSON.stringify(text.slice(a, b)));
      checks++;
      if (want) positives++;
    }
  }
  assert.ok(positives > 200 && checks - positives > 1000, `${positives} of ${checks} ranges matched`);
});

test('hand-picked cases', () => {
  const cases: [string, boolean][] = [
    ['{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}', false],
    ['{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}', true],
    // With a space after the colon, the regex's `\s*` backtracks and `(?!null)` passes.
    ['{"choices":[{"index":0,"delta":{},"finish_reason": null}]}', true],
    ['{"choices":[],"usage":{"prompt_tokens":1}}', true],
    // An empty `choices` alone carries nothing to observe; the usage-only chunk has its `usage`.
    ['{"choices" : [ ]}', false],
    ['{"choices" : [ ],"usage" : {"total_tokens":2}}', true],
    ['{"choices":[],"usage":null}', false],
    ['{"choices":[{"index":0,"delta":{},"finish_reason":null}],"usage":null,"x":"error"}', false],
    ['{"choices":[{}]}', false],
    ['{"usage":null}', false],
    ['{"error":{"message":"x"}}', true],
    ['{"content":"\\"usage\\": 1"}', false],
    ['{"a":"\\"error":1}', true],
    ['{"usage"', false],
    ['{"usage":', true],
    ['{"usage":nul', true],
  ];
  for (const [data, want] of cases) {
    assert.equal(OBSERVED_KEYS.test(data), want, `regex: ${data}`);
    const text = `data: ${data}\n\n`;
    assert.equal(new ObservedKeyScan(text).test(6, 6 + data.length), want, `scan: ${data}`);
  }
});
