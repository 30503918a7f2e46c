import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { twoProviderYaml } from '../support/configs.js';
import { loadFixture } from '../support/fixtures.js';
import { type MockUpstream, startMockUpstream } from '../support/mock-upstream.js';
import { startSidecar, type TestSidecar } from '../support/sidecar.js';

/**
 * The same calls through the fast front (default) and through node:http (SWITCHYARD_FAST_HTTP=0):
 * the app gets the same bytes, the official SDK the same results, the ledger the same records.
 * Which front answered shows in the raw response: node:http capitalises the headers it adds
 * (`Date:`), the fast front writes them lower-case (`date:`).
 */
function fixtureReply(name: string) {
  const f = loadFixture(name);
  return { kind: 'bytes' as const, status: f.status, contentType: f.contentType, body: f.body };
}

async function rawPost(apiUrl: string, body: string): Promise<string> {
  const u = new URL(apiUrl);
  const socket = connect(Number(u.port), u.hostname);
  await once(socket, 'connect');
  socket.write(
    `POST /v1/chat/completions HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nx-switchyard-feature: support-chat\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  let text = '';
  socket.on('data', (d: Buffer) => {
    text += d.toString('latin1');
  });
  await once(socket, 'close');
  return text;
}

for (const mode of ['fast front', 'node:http'] as const) {
  describe(`chat through the ${mode}`, () => {
    let upstream: MockUpstream;
    let sc: TestSidecar;
    before(async () => {
      upstream = await startMockUpstream();
      sc = await startSidecar({
        yaml: twoProviderYaml({ primary: upstream.baseUrl }),
        ...(mode === 'node:http' ? { env: { SWITCHYARD_FAST_HTTP: '0' } } : {}),
      });
    });
    after(async () => {
      await sc.close();
      await upstream.close();
    });

    test('the raw response comes from the expected front, with the fixture body', async () => {
      upstream.enqueue(fixtureReply('openai/chat-completion-tool-calls'));
      const text = await rawPost(sc.apiUrl, '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}');
      assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
      if (mode === 'fast front') assert.match(text, /\r\ndate: /);
      else assert.match(text, /\r\nDate: /);
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      assert.equal(body, loadFixture('openai/chat-completion-tool-calls').body.toString('latin1'));
    });

    test('official SDK: a plain and a streamed call, both recorded', async () => {
      const before = sc.records.length;
      upstream.enqueue(fixtureReply('openai/chat-completion-tool-calls'), fixtureReply('openai/chat-stream-text'));
      const client = sc.openai({ feature: 'support-chat' });
      const res = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(res.choices[0]?.finish_reason, 'tool_calls');
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      assert.ok(text.length > 0);
      const records = sc.records.slice(before);
      assert.deepEqual(
        records.map((r) => [r.streamed, r.outcome, r.httpStatus]),
        [
          [false, 'ok', 200],
          [true, 'ok', 200],
        ],
      );
      assert.equal(records[0]?.usage.inputTokens, 75, 'usage from the tool-calls fixture');
    });
  });
}
