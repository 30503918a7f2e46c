import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { ClickHouseGate } from '../../bench/clickhouse-gate.js';

/**
 * The bench's ClickHouse gate on a real process: it is stopped only once the health port reports
 * the sink drained, continued for the sidecar-ch target, and stopped anyway (counted) when the sink
 * never drains.
 */
const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
after(() => {
  try {
    process.kill(child.pid as number, 'SIGCONT');
  } catch {}
  child.kill('SIGKILL');
});

/** The process state letter from /proc/PID/stat: T when stopped. */
function stateOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] as string;
}

async function waitState(pid: number, want: (s: string) => boolean): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const s = stateOf(pid);
    if (want(s)) return s;
    await new Promise((r) => setTimeout(r, 10));
  }
  return stateOf(pid);
}

/** A health port whose clickhouse sink reports `queue()` rows; counts the polls. */
async function healthPort(queue: () => number): Promise<{ origin: string; polls: () => number; close: () => void }> {
  let polls = 0;
  const server = createServer((_req, res) => {
    polls++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ status: 'ok', sinks: [{ name: 'otlp' }, { name: 'clickhouse', queued: queue() }] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, polls: () => polls, close: () => server.close() };
}

test('the gate stops the server only after the sink drained, and continues it for sidecar-ch', async () => {
  const pid = child.pid as number;
  let queued = 3;
  // The sink drains one row per poll: the gate must poll until it reads 0.
  const health = await healthPort(() => (queued > 0 ? queued-- : 0));
  try {
    const logs: string[] = [];
    const gate = new ClickHouseGate({ pid, healthOrigin: () => health.origin, log: (m) => logs.push(m), quietMs: 0 });
    assert.notEqual(stateOf(pid), 'T');

    await gate.forTarget('sidecar-chd');
    assert.equal(health.polls(), 4, 'polled until the queue read 0');
    assert.equal(await waitState(pid, (s) => s === 'T'), 'T');
    assert.equal(gate.stopped, true);
    assert.deepEqual([gate.pauses, gate.undrained, logs.length], [1, 0, 0]);

    // Already stopped: another non-ClickHouse target neither polls nor stops again.
    await gate.forTarget('bare');
    assert.equal(health.polls(), 4);
    assert.equal(gate.pauses, 1);

    await gate.forTarget('sidecar-ch');
    assert.notEqual(await waitState(pid, (s) => s !== 'T'), 'T');
    assert.equal(gate.stopped, false);
  } finally {
    health.close();
  }
});

test('a sink that never drains: the server is stopped at the deadline, and that is counted and logged', async () => {
  const pid = child.pid as number;
  const health = await healthPort(() => 7);
  try {
    const logs: string[] = [];
    const gate = new ClickHouseGate({ pid, healthOrigin: () => health.origin, log: (m) => logs.push(m), quietMs: 0, drainTimeoutMs: 200 });
    await gate.close();
    assert.equal(await waitState(pid, (s) => s === 'T'), 'T');
    assert.deepEqual([gate.pauses, gate.undrained], [1, 1]);
    assert.match(logs[0] ?? '', /still reports 7 queued rows/);
    gate.open();
    assert.notEqual(await waitState(pid, (s) => s !== 'T'), 'T');
  } finally {
    health.close();
  }
});

test('continuing a server that is gone is not an error', async () => {
  const gone = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const health = await healthPort(() => 0);
  try {
    const gate = new ClickHouseGate({ pid: gone.pid as number, healthOrigin: () => health.origin, log: () => {}, quietMs: 0 });
    await gate.close();
    assert.equal(await waitState(gone.pid as number, (s) => s === 'T'), 'T');
    gone.kill('SIGKILL');
    await new Promise((r) => gone.once('exit', r));
    gate.open();
    assert.equal(gate.stopped, false);
  } finally {
    health.close();
  }
});
