import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuSecondsOf, threadTimesOf } from '../../bench/procs.js';

/**
 * The bench's per-thread CPU reading (/proc/<pid>/task/<tid>/stat), on this process: a busy loop
 * on the main thread must show as the main thread's user time, not as system time or as another
 * thread's. Linux only (the bench reads /proc).
 */
test('threadTimesOf puts a busy loop on the main thread in its user time', { skip: process.platform !== 'linux' }, () => {
  const before = threadTimesOf(process.pid);
  const cpuBefore = cpuSecondsOf(process.pid);
  // Spin until this process has used 300 ms of CPU (not of wall time: under a loaded test run the
  // loop may wait for the core), checking rarely so the checks add little system time.
  const usage0 = process.cpuUsage();
  const deadline = Date.now() + 20_000;
  let x = 0;
  for (let i = 1; ; i++) {
    x += Math.sqrt(x + 1);
    if (i % 200_000 === 0 && (process.cpuUsage(usage0).user >= 300_000 || Date.now() > deadline)) break;
  }
  const after = threadTimesOf(process.pid);
  const cpu = cpuSecondsOf(process.pid) - cpuBefore;
  assert.ok(x > 0);
  const mainUser = after.mainUser - before.mainUser;
  const mainSystem = after.mainSystem - before.mainSystem;
  const others = after.others - before.others;
  // Clock ticks are 10 ms; the loop used at least 300 ms of user time on the main thread.
  assert.ok(mainUser >= 0.2, `main user ${mainUser} s`);
  assert.ok(mainUser > 3 * (mainSystem + others), `main user ${mainUser} s, main system ${mainSystem} s, others ${others} s`);
  // The process's total holds every thread: the main thread's share cannot exceed it by more than rounding.
  assert.ok(mainUser + mainSystem <= cpu + 0.05, `main ${mainUser + mainSystem} s, process ${cpu} s`);
});

test('threadTimesOf of a process that does not exist is NaN, not zero', () => {
  const t = threadTimesOf(2 ** 22 + 12345);
  assert.ok(Number.isNaN(t.mainUser) && Number.isNaN(t.mainSystem) && Number.isNaN(t.others), JSON.stringify(t));
});
