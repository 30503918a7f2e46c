import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';

/**
 * Child processes of the bench: spawned pinned to one core (`taskset -c N`), ready when they print
 * a JSON line that passes a predicate, stopped by PID, and their CPU time read from /proc.
 */
export interface BenchProcess {
  readonly name: string;
  readonly pid: number;
  /** The JSON line that made it ready. */
  readonly ready: Record<string, unknown>;
  /** Last lines of stderr, for error messages. */
  tail(): string;
  /** user+system CPU seconds so far (from /proc/<pid>/stat). */
  cpuSeconds(): number;
  /** Minor page faults so far (NaN when /proc cannot be read). */
  minorFaults(): number;
  /** CPU seconds so far of the main thread and of the other threads (NaN when /proc cannot be read). */
  threadTimes(): ThreadTimes;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface SpawnOptions {
  name: string;
  /** Core to pin to, or null for no pinning. */
  core: number | null;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** A parsed JSON line (stdout or stderr) that means "ready". */
  isReady: (line: Record<string, unknown>) => boolean;
  timeoutMs?: number;
}

let tasksetChecked: boolean | undefined;

/** Whether `taskset` (util-linux) is on the PATH. */
export function hasTaskset(): boolean {
  if (tasksetChecked === undefined) tasksetChecked = spawnSync('taskset', ['--version']).status === 0;
  return tasksetChecked;
}

/**
 * The machine's cores, whatever this process's own affinity: the harnesses run pinned to the load
 * core (scripts/bench.mjs), where `availableParallelism()` says 1.
 */
export function machineCores(): number {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s*:/gm)?.length ?? cpus().length;
  } catch {
    return cpus().length;
  }
}

const CLK_TCK = 100;

/** Fields of /proc/<pid>/stat (or a thread's, /proc/<pid>/task/<tid>/stat) from field 3 (state) on, or null when it cannot be read. */
function statFields(pid: number, file = `/proc/${pid}/stat`): string[] | null {
  try {
    const stat = readFileSync(file, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** user+system CPU seconds of a live process, or NaN when it cannot be read. */
export function cpuSecondsOf(pid: number): number {
  const fields = statFields(pid);
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  return fields ? (Number(fields[11]) + Number(fields[12])) / CLK_TCK : Number.NaN;
}

/** Peak resident memory of a live process in MiB (VmHWM in /proc/<pid>/status), or NaN when it cannot be read. */
export function peakRssMiBOf(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** The command line of a live process (/proc/<pid>/cmdline), or [] when it cannot be read. */
export function cmdlineOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a) => a !== '');
  } catch {
    return [];
  }
}

/** Minor page faults of a live process (field 10, minflt), or NaN when it cannot be read. */
export function minorFaultsOf(pid: number): number {
  const fields = statFields(pid);
  return fields ? Number(fields[7]) : Number.NaN;
}

/**
 * CPU seconds by thread (/proc/<pid>/task/<tid>/stat): the main thread's user and system time
 * (for Node, the event loop: JavaScript, the proxy's syscalls), and the sum over the other live
 * threads (V8's garbage-collector and compiler helpers, libuv's pool). Threads that have exited are
 * in the process's total (`cpuSecondsOf`) but not here.
 */
export interface ThreadTimes {
  mainUser: number;
  mainSystem: number;
  others: number;
}

export function threadTimesOf(pid: number): ThreadTimes {
  const t: ThreadTimes = { mainUser: 0, mainSystem: 0, others: 0 };
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return { mainUser: Number.NaN, mainSystem: Number.NaN, others: Number.NaN };
  }
  for (const tid of tids) {
    const fields = statFields(pid, `/proc/${pid}/task/${tid}/stat`);
    if (fields === null) continue; // the thread exited between the listing and the read
    const user = Number(fields[11]) / CLK_TCK;
    const system = Number(fields[12]) / CLK_TCK;
    if (Number(tid) === pid) {
      t.mainUser = user;
      t.mainSystem = system;
    } else t.others += user + system;
  }
  return t;
}

function parseJsonLine(line: string): Record<string, unknown> | undefined {
  const start = line.indexOf('{');
  if (start < 0) return undefined;
  try {
    const v: unknown = JSON.parse(line.slice(start));
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function spawnPinned(opts: SpawnOptions): Promise<BenchProcess> {
  const pinned = opts.core !== null && hasTaskset();
  const command = pinned ? 'taskset' : opts.command;
  const args = pinned ? ['-c', String(opts.core), opts.command, ...opts.args] : opts.args;
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
  let tail = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(
      () => fail(new Error(`${opts.name}: not ready after ${opts.timeoutMs ?? 60_000} ms`)),
      opts.timeoutMs ?? 60_000,
    );
    const fail = (err: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${err.message}\n--- ${opts.name} output ---\n${tail.trim().slice(-3000)}`));
    };
    const onLine = (line: string): void => {
      tail = `${tail}${line}\n`.slice(-8000);
      if (done) return;
      const json = parseJsonLine(line);
      if (!json || !opts.isReady(json)) return;
      done = true;
      clearTimeout(timer);
      const pid = child.pid ?? -1;
      resolve({
        name: opts.name,
        pid,
        ready: json,
        tail: () => tail,
        cpuSeconds: () => cpuSecondsOf(pid),
        minorFaults: () => minorFaultsOf(pid),
        threadTimes: () => threadTimesOf(pid),
        async stop(graceMs = 15_000) {
          if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
          child.kill('SIGTERM');
          const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
          const code = await exited;
          clearTimeout(kill);
          return code;
        },
      });
    };
    if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
    if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine);
    child.once('error', (e) => fail(e));
    void exited.then((code) => fail(new Error(`${opts.name}: exited (code ${code}) before it was ready`)));
  });
}

export interface CoreTimes {
  /** Seconds the core ran anything (user, nice, system, irq, softirq). */
  busy: number;
  /** Seconds stolen by the hypervisor. */
  steal: number;
}

/** Per-core CPU seconds since boot, from /proc/stat (empty when it cannot be read). */
export function coreTimes(): Map<number, CoreTimes> {
  const out = new Map<number, CoreTimes>();
  try {
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      const m = /^cpu(\d+)\s+(.*)$/.exec(line);
      if (!m) continue;
      const v = (m[2] as string).split(/\s+/).map(Number);
      const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = v;
      out.set(Number(m[1]), { busy: (user + nice + system + irq + softirq) / CLK_TCK, steal: steal / CLK_TCK });
    }
  } catch {
    // not Linux: no per-core figures
  }
  return out;
}
