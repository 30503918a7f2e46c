import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AttributeValue, SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { AttemptRecord, CallRecord } from '../../../src/core/call-record.js';
import { CLIENT_SPAN_KEYS, SERVER_SPAN_KEYS } from '../../../src/sinks/clickhouse/ddl/ai-calls-in.js';
import { CLIENT_POSITIONS, SERVER_POSITIONS, carrySpan } from '../../../src/sinks/clickhouse/rows/span-derivation.js';
import type { EndedSpan } from '../../../src/telemetry/ended-span.js';
import { writeAttemptAttributes, writeCallAttributes } from '../../../src/telemetry/span-attributes.js';
import { attemptStartOf } from '../../support/attempt-start.js';
import { scenarioRecords } from '../../integration/clickhouse-fixtures.js';

/** A span whose attributes are the real lists' (as the lean spans write them) for `r` or its attempt `a`. */
function spanOf(
  r: CallRecord,
  a?: AttemptRecord,
  start = a === undefined ? undefined : attemptStartOf(a, { stream: r.streamed }),
): EndedSpan {
  return {
    traceId: r.traceId,
    spanId: a?.spanId ?? r.spanId,
    parentSpanId: a === undefined ? undefined : r.spanId,
    traceState: undefined,
    name: 'x',
    kind: a === undefined ? SpanKind.SERVER : SpanKind.CLIENT,
    startMs: r.startedAtMs,
    endMs: r.startedAtMs + 1,
    errorMessage: undefined,
    resource: resourceFromAttributes({}),
    scope: { name: 'switchyard' },
    writeAttributes(w) {
      if (a === undefined) writeCallAttributes(w, 'POST', r.path, r, true);
      else if (start !== undefined) writeAttemptAttributes(w, start, a);
    },
  };
}

/** The attributes in order, as the writers hand them over. */
function attributes(span: EndedSpan): (AttributeValue | null | undefined)[] {
  const out: (AttributeValue | null | undefined)[] = [];
  span.writeAttributes({ attr: (_k, v) => out.push(v) });
  return out;
}

test('each span key has a position: derived from a column, or carried', () => {
  assert.equal(SERVER_POSITIONS.length, SERVER_SPAN_KEYS.length);
  assert.equal(CLIENT_POSITIONS.length, CLIENT_SPAN_KEYS.length);
  const carried = (keys: readonly string[], positions: typeof SERVER_POSITIONS) => keys.filter((_k, i) => positions[i] === null);
  assert.deepEqual(carried(SERVER_SPAN_KEYS, SERVER_POSITIONS), [
    'http.request.method',
    'switchyard.content.input',
    'switchyard.content.output',
  ]);
  assert.deepEqual(carried(CLIENT_SPAN_KEYS, CLIENT_POSITIONS), ['server.port', 'gen_ai.response.id', 'gen_ai.response.finish_reasons']);
});

test('a carried span holds a bit for each derived attribute it has, and the carried values in order', () => {
  const records = Object.values(scenarioRecords()).map((r) => ({ ...r, content: { input: 'hi', output: undefined } }));
  let spans = 0;
  for (const r of records) {
    for (const a of [undefined, ...r.attempts]) {
      const span = spanOf(r, a);
      const got = carrySpan(span, r, a);
      assert.ok(got !== undefined, `${r.callId} ${a?.index}`);
      assert.equal(got.span, span);
      const positions = a === undefined ? SERVER_POSITIONS : CLIENT_POSITIONS;
      const attrs = attributes(span);
      let set = 0;
      const values: (AttributeValue | null)[] = [];
      for (const [i, p] of positions.entries()) {
        const v = attrs[i];
        if (p === null) values.push(v ?? null);
        else if (v !== undefined && v !== null) set |= 1 << i;
      }
      assert.equal(got.set, set);
      assert.deepEqual(got.values, values);
      spans++;
    }
  }
  assert.ok(spans >= 10);
  // the failure's SERVER span has an error type and no final model; a plain one the reverse
  const s = scenarioRecords();
  const bit = (name: string) => 1 << SERVER_SPAN_KEYS.indexOf(name);
  const failed = carrySpan(spanOf(s.failure), s.failure)?.set ?? 0;
  const plain = carrySpan(spanOf(s.plain), s.plain)?.set ?? 0;
  assert.equal(failed & bit('error.type'), bit('error.type'));
  assert.equal(plain & bit('error.type'), 0);
  assert.equal(plain & bit('switchyard.final.model'), bit('switchyard.final.model'));
});

test('the lean spans take each derived attribute not from the start from the record, as the column holds it', () => {
  // carrySpan compares only the `fromStart` attributes with the record; this holds the rest equal
  const s = scenarioRecords();
  const records = [
    ...Object.values(s),
    { ...s.streamed, timeToFirstChunkMs: 0.1 + 0.2, costUsd: 1e-9, overheadMs: 1 / 3 },
    { ...s.fallback, fallbackPath: ['a/b', 'c/d', 'a/b'], errorType: 'rate_limited' },
  ];
  let compared = 0;
  for (const r of records) {
    for (const a of [undefined, ...r.attempts]) {
      const attrs = attributes(spanOf(r, a));
      for (const [i, p] of (a === undefined ? SERVER_POSITIONS : CLIENT_POSITIONS).entries()) {
        const v = attrs[i];
        if (p === null || v === undefined || v === null) continue;
        assert.equal(v, p.value(r, a), `${r.callId} ${a?.index} ${i}`);
        compared++;
      }
    }
  }
  assert.ok(compared > 200, `${compared}`);
});

test('a span the views could not rebuild exactly is not carried', () => {
  const { plain } = scenarioRecords();
  const a = plain.attempts[0] as AttemptRecord;
  const call = (over: Partial<CallRecord>) => {
    const r = { ...plain, ...over };
    return carrySpan(spanOf(r), r);
  };
  const attempt = (over: Partial<AttemptRecord>, start = attemptStartOf(a, { stream: plain.streamed })) => {
    const x = { ...a, ...over };
    return carrySpan(spanOf(plain, x, start), plain, x);
  };
  assert.ok(call({}) !== undefined);
  assert.equal(call({ costUsd: 1e21 }), undefined, 'ClickHouse prints 1e21, JS 1e+21');
  assert.equal(call({ overheadMs: Number.NaN }), undefined);
  assert.equal(call({ overheadMs: -0 }), undefined);
  assert.equal(call({ httpStatus: 70_000 }), undefined, 'beyond UInt16');
  assert.equal(call({ attemptCount: 1.5 }), undefined);
  assert.equal(call({ usage: { ...plain.usage, inputTokens: -1 } }), undefined);
  assert.equal(call({ usage: null as never }), undefined);
  assert.ok(attempt({}) !== undefined);
  assert.equal(attempt({}, { ...attemptStartOf(a), model: 'another' }), undefined, 'asked for another model than the record names');
  assert.equal(attempt({}, attemptStartOf(a, { stream: !plain.streamed })), undefined, 'stream differs from the call');
  assert.equal(attempt({ usage: { inputTokens: 2 ** 53 } }), undefined, 'beyond the safe integers');
  assert.equal(attempt({ timeToFirstChunkMs: 1e25 }), undefined);
  // unset attributes are fine: their bits are clear
  const bare = attempt({ usage: undefined, costUsd: null, responseModel: undefined, httpStatus: undefined });
  assert.ok(bare !== undefined);
  for (const name of ['gen_ai.usage.input_tokens', 'switchyard.cost.usd', 'gen_ai.response.model', 'http.response.status_code'])
    assert.equal(bare.set & (1 << CLIENT_SPAN_KEYS.indexOf(name)), 0, name);
});
