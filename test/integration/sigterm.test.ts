import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { loadFixture } from '../support/fixtures.js';
import { type MockUpstream, startMockUpstream } from '../support/mock-upstream.js';
import { twoProviderYaml } from '../support/configs.js';
import { spawnSidecar } from '../support/spawn-sidecar.js';

describe('SIGTERM during a stream', () => {
  let upstream: MockUpstream;
  before(async () => {
    upstream = await startMockUpstream();
  });
  after(() => upstream.close());

  test('the in-flight stream finishes, new calls are refused, the process exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-sigterm-'));
    const configPath = join(dir, 'switchyard.yaml');
    writeFileSync(configPath, twoProviderYaml({ primary: upstream.baseUrl }));
    const f = loadFixture('openai/chat-stream-text');
    // ~30 writes 40 ms apart: the stream lasts over a second, long enough to SIGTERM in the middle.
    upstream.enqueue({
      kind: 'bytes',
      status: 200,
      contentType: f.contentType,
      body: f.body,
      chunkSize: Math.ceil(f.body.length / 30),
      chunkDelayMs: 40,
    });
    const { child, apiUrl, stderr, exited } = await spawnSidecar(configPath);
    const client = new OpenAI({ baseURL: `${apiUrl}/v1`, apiKey: 'app', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'x', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    let finish: string | null = null;
    let signalled = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (!signalled) {
        signalled = true;
        child.kill('SIGTERM');
        await new Promise((r) => setTimeout(r, 100));
        await assert.rejects(fetch(`${apiUrl}/v1/models`), 'no new connections once draining');
      }
    }
    assert.equal(finish, 'stop', 'the stream ran to its end');
    const expected = f.body
      .toString()
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => (JSON.parse(l.slice(6)) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '')
      .join('');
    assert.equal(text, expected);
    assert.equal(await exited, 0);
    const msgs = stderr.map((l) => {
      try {
        return (JSON.parse(l) as { msg: string }).msg;
      } catch {
        return l;
      }
    });
    assert.ok(msgs.includes('switchyard draining') && msgs.includes('switchyard stopped'));
  });
});
