import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createOpenAiStreamTranslator } from '../../../src/providers/openai-compatible/stream-translator.js';

const chunk = (o: object) => `data: ${JSON.stringify(o)}\n\n`;
const t0 = () => createOpenAiStreamTranslator({ model: 'asked', stripUsageChunk: true, captureContent: true });

test('keep-alive comments: dropped before the first event, forwarded after', () => {
  const t = t0();
  assert.deepEqual(t.push(Buffer.from(': ping\n\n')).out, []);
  assert.equal(t.eventCount, 0);
  const a = chunk({ id: 'c1', choices: [{ index: 0, delta: { content: 'x' }, finish_reason: null }] });
  assert.equal(Buffer.concat(t.push(Buffer.from(`${a}: OPENROUTER PROCESSING\n\n`)).out).toString(), `${a}: OPENROUTER PROCESSING\n\n`);
  assert.equal(t.eventCount, 1);
});

test('n>1: finish reasons per choice index; model falls back to the one asked for', () => {
  const t = t0();
  t.push(Buffer.from(chunk({ choices: [{ index: 1, delta: { content: 'b' }, finish_reason: 'length' }] })));
  t.push(Buffer.from(chunk({ choices: [{ index: 0, delta: { content: 'a' }, finish_reason: 'stop' }] })));
  const end = t.push(Buffer.from('data: [DONE]\n\ndata: {"late":true}\n\n'));
  assert.equal(Buffer.concat(end.out).toString(), 'data: [DONE]\n\n', 'nothing after [DONE] is forwarded');
  assert.equal(t.end().error, undefined);
  assert.deepEqual(t.facts(), { responseModel: 'asked', finishReasons: ['stop', 'length'], outputText: 'ba' });
});

test('an unterminated final [DONE] is accepted and closed for the app', () => {
  const t = t0();
  t.push(Buffer.from(chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })));
  assert.deepEqual(t.push(Buffer.from('data: [DONE]')).out, []);
  const end = t.end();
  assert.equal(end.error, undefined);
  assert.equal(Buffer.concat(end.out).toString(), 'data: [DONE]\n\n');
});

test('an empty stream is truncated; after an error nothing more is reported', () => {
  const t = t0();
  const e = t.end();
  assert.equal(e.error?.kind, 'upstream_truncated');
  assert.deepEqual(t.end(), { out: [] });
  const u = t0();
  assert.equal(u.push(Buffer.from('data: not json\n\n')).error?.kind, 'upstream_bad_response');
  assert.deepEqual(u.push(Buffer.from(chunk({ choices: [] }))), { out: [] });
  assert.deepEqual(u.end(), { out: [] });
});

test('event: error blocks break the stream even without an error key', () => {
  const t = t0();
  const step = t.push(Buffer.from('event: error\ndata: {"message":"upstream overloaded","type":"overloaded_error"}\n\n'));
  assert.equal(step.error?.kind, 'upstream_server_error');
  assert.equal(step.error?.message, 'upstream overloaded');
});
