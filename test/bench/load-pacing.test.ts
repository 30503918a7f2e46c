import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { runLoad } from '../../bench/load.js';

/**
 * The load generator's open-loop mode (`ratePerSec`), which the bench's equal-load cells use: the
 * offered rate holds whatever the concurrency, and a closed loop against the same server sends far
 * more. Tolerances are wide: this checks the schedule, not the machine.
 */
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.end('{"ok":true}'));
});
let origin = '';
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const base = { path: '/v1/chat/completions', body: '{}', warmupMs: 200, durationMs: 1000 };

test('ratePerSec paces requests at the offered rate, spread over the workers', async () => {
  for (const concurrency of [1, 16]) {
    const r = await runLoad({ ...base, origin, concurrency, ratePerSec: 300 });
    assert.equal(r.errors, 0);
    assert.ok(r.requests >= 240 && r.requests <= 360, `c=${concurrency}: ${r.requests} requests in 1 s at 300/s`);
  }
});

test('without ratePerSec the loop is closed: each worker sends again as soon as it is answered', async () => {
  const r = await runLoad({ ...base, origin, concurrency: 4 });
  assert.equal(r.errors, 0);
  assert.ok(r.requests > 900, `${r.requests} requests in 1 s, closed loop`);
});
