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
  const until = Date.now() + 300;
  let x = 0;
  while (Date.now() < until) x += Math.sqrt(x + 1);
  const after = threadTimesOf(process.pid);
  const cpu = cpuSecondsOf(process.pid) - cpuBefore;
  assert.ok(x > 0);
  const mainUser = after.mainUser - before.mainUser;
  const mainSystem = after.mainSystem - before.mainSystem;
  const others = after.others - before.others;
  // Clock ticks are 10 ms; the loop ran 300 ms of wall time on the main thread (less if descheduled).
  assert.ok(mainUser >= 0.1, `main user ${mainUser} s`);
  assert.ok(mainUser > 3 * (mainSystem + others), `main user ${mainUser} s, main system ${mainSystem} s, others ${others} s`);
  // The process's total holds every thread: the main thread's share cannot exceed it by more than rounding.
  assert.ok(mainUser + mainSystem <= cpu + 0.03, `main ${mainUser + mainSystem} s, process ${cpu} s`);
});

test('threadTimesOf of a process that does not exist is NaN, not zero', () => {
  const t = threadTimesOf(2 ** 22 + 12345);
  assert.ok(Number.isNaN(t.mainUser) && Number.isNaN(t.mainSystem) && Number.isNaN(t.others), JSON.stringify(t));
});
