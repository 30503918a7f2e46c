import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseHead } from '../../../src/server/fast-http/parse-head.js';

function parse(head: string) {
  const buf = Buffer.from(`${head}\r\n\r\n`, 'latin1');
  return parseHead(buf, buf.length - 4);
}

describe('parseHead (the fast front serves only what it is sure of)', () => {
  it('reads a plain POST: method, target, lower-case headers, length, keep-alive', () => {
    const h = parse(
      'POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: 127.0.0.1:4000\r\nContent-Type: application/json\r\nContent-Length: 42\r\nX-Switchyard-Feature:  support-chat \r\nAuthorization: Bearer sk-app',
    );
    assert.ok(h);
    assert.equal(h.method, 'POST');
    assert.equal(h.target, '/v1/chat/completions?x=1');
    assert.equal(h.contentLength, 42);
    assert.equal(h.keepAlive, true);
    assert.deepEqual(h.headers, {
      host: '127.0.0.1:4000',
      'content-type': 'application/json',
      'content-length': '42',
      'x-switchyard-feature': 'support-chat',
      authorization: 'Bearer sk-app',
    });
  });

  it('sees connection: close among other tokens', () => {
    assert.equal(parse('POST /v1/embeddings HTTP/1.1\r\nConnection: TE, close\r\nContent-Length: 2')?.keepAlive, false);
    assert.equal(parse('POST /v1/embeddings HTTP/1.1\r\nConnection: keep-alive\r\nContent-Length: 2')?.keepAlive, true);
  });

  it('a GET without a body is fine; no content-length means an empty body', () => {
    assert.equal(parse('GET /v1/models HTTP/1.1\r\nHost: x')?.contentLength, 0);
    assert.equal(parse('POST /v1/chat/completions HTTP/1.1\r\nHost: x')?.contentLength, 0);
  });

  const handedOff: Array<[string, string]> = [
    ['HTTP/1.0', 'POST /v1/chat/completions HTTP/1.0\r\nContent-Length: 2'],
    ['HEAD', 'HEAD /v1/models HTTP/1.1\r\nHost: x'],
    ['PUT', 'PUT /v1/files HTTP/1.1\r\nContent-Length: 2'],
    ['chunked body', 'POST /v1/chat/completions HTTP/1.1\r\nTransfer-Encoding: chunked'],
    ['length and chunked', 'POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked'],
    ['Expect: 100-continue', 'POST /v1/chat/completions HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2'],
    ['Upgrade', 'GET /v1/realtime HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket'],
    ['connection: upgrade alone', 'GET /v1/realtime HTTP/1.1\r\nConnection: upgrade'],
    ['two content-lengths', 'POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2'],
    ['a repeated header', 'POST /v1/chat/completions HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 2'],
    ['a signed length', 'POST /v1/chat/completions HTTP/1.1\r\nContent-Length: +2'],
    ['a length list', 'POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 2, 2'],
    ['an absurd length', 'POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 99999999999999999999'],
    ['obs-fold', 'POST /v1/chat/completions HTTP/1.1\r\nX-A: 1\r\n  folded\r\nContent-Length: 2'],
    ['space before colon', 'POST /v1/chat/completions HTTP/1.1\r\nContent-Length : 2'],
    ['a control byte in a value', 'POST /v1/chat/completions HTTP/1.1\r\nX-A: a\x01b\r\nContent-Length: 2'],
    ['a bare LF', 'POST /v1/chat/completions HTTP/1.1\r\nX-A: a\nContent-Length: 2'],
    ['obs-text', 'POST /v1/chat/completions HTTP/1.1\r\nX-A: caf\xe9\r\nContent-Length: 2'],
    ['an absolute-form target', 'POST http://x/v1/chat/completions HTTP/1.1\r\nContent-Length: 2'],
    ['a target with a space', 'POST /v1/chat completions HTTP/1.1\r\nContent-Length: 2'],
    ['a GET with a body', 'GET /v1/models HTTP/1.1\r\nContent-Length: 2'],
    ['no colon', 'POST /v1/chat/completions HTTP/1.1\r\nContent-Length 2'],
    ['garbage', '\x16\x03\x01\x02\x00\x01'],
  ];
  for (const [what, head] of handedOff) {
    it(`hands off ${what} to node:http`, () => assert.equal(parse(head), null));
  }
});
