import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRetryAfterMs } from '../../../src/providers/shared/parse-retry-after.js';
import { redactSecrets, sanitizeUpstreamMessage } from '../../../src/providers/shared/redact-secrets.js';

test('redacts keys that upstreams echo back', () => {
  const cases: Array<[string, string]> = [
    ['Incorrect API key provided: sk-proj-AbCdEf123456***wxyz. You can find', 'Incorrect API key provided: [redacted]. You can find'],
    ['Incorrect API key provided: xai-ABCDEFGH12345678', 'Incorrect API key provided: [redacted]'],
    ['header Authorization: Bearer abc.def.ghi was rejected', 'header Authorization: Bearer [redacted] was rejected'],
    ['GET /v1beta/models?key=AIzaSyA1234567890abcdefghijk&alt=sse', 'GET /v1beta/models?key=[redacted]&alt=sse'],
    ['key AIzaSyA1234567890abcdefghijk invalid', 'key [redacted] invalid'],
    ['api key 0123456789abcdef0123456789abcdef.AbCdEfGhIjKlMnOp invalid', 'api key [redacted] invalid'],
    ['The model `gpt-4.1-nano-wrong` does not exist', 'The model `gpt-4.1-nano-wrong` does not exist'],
  ];
  for (const [input, expected] of cases) assert.equal(redactSecrets(input), expected);
});

test('sanitize collapses whitespace and caps length', () => {
  assert.equal(sanitizeUpstreamMessage('  a \n\t b  '), 'a b');
  const long = sanitizeUpstreamMessage('word '.repeat(500));
  assert.equal(long.length, 500);
  assert.ok(long.endsWith('…'));
});

test('Retry-After: retry-after-ms wins, seconds, HTTP-date, garbage', () => {
  const nowMs = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfterMs({ headers: { 'retry-after-ms': '1500.2', 'retry-after': '9' }, nowMs }), 1501);
  assert.equal(parseRetryAfterMs({ headers: { 'Retry-After': '2' }, nowMs }), 2000);
  assert.equal(parseRetryAfterMs({ headers: { 'retry-after': ['0.5'] }, nowMs }), 500);
  assert.equal(parseRetryAfterMs({ headers: { 'retry-after': 'Thu, 01 Jan 2026 00:00:07 GMT' }, nowMs }), 7000);
  assert.equal(parseRetryAfterMs({ headers: { 'retry-after': 'Wed, 31 Dec 2025 23:59:00 GMT' }, nowMs }), 0);
  assert.equal(parseRetryAfterMs({ headers: { 'retry-after': 'soon' }, nowMs }), undefined);
  assert.equal(parseRetryAfterMs({ headers: {}, nowMs }), undefined);
});
