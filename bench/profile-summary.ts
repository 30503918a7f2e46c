import { readFileSync } from 'node:fs';

/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function and per package
 * (node_modules/<pkg>, `switchyard` for our build, `node` for node: internals, `(gc)` etc.).
 */
interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  top: Array<{ fn: string; where: string; selfPct: number }>;
  byPackage: Array<{ pkg: string; selfPct: number }>;
}

function where(frame: CallFrame, root: string): string {
  if (!frame.url) return '';
  const url = frame.url.replace(/^file:\/\//, '');
  const rel = url.startsWith(root) ? url.slice(root.length + 1) : url;
  return `${rel}:${frame.lineNumber + 1}`;
}

function packageOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (url.startsWith('node:')) return 'node';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1] as string;
  return 'switchyard';
}

export function summariseProfile(file: string, root: string, topN = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    const id = p.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + dt);
  }
  const fnTime = new Map<string, { fn: string; where: string; t: number }>();
  const pkgTime = new Map<string, number>();
  for (const [id, t] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const fr = node.callFrame;
    if (fr.functionName === '(idle)' || fr.functionName === '(program)') continue;
    const key = `${fr.functionName}@${fr.url}:${fr.lineNumber}`;
    const e = fnTime.get(key) ?? { fn: fr.functionName || '(anonymous)', where: where(fr, root), t: 0 };
    e.t += t;
    fnTime.set(key, e);
    const pkg = packageOf(fr);
    pkgTime.set(pkg, (pkgTime.get(pkg) ?? 0) + t);
  }
  let busy = 0;
  for (const v of pkgTime.values()) busy += v;
  const share = (t: number) => (busy > 0 ? (100 * t) / busy : 0);
  return {
    top: [...fnTime.values()]
      .sort((a, b) => b.t - a.t)
      .slice(0, topN)
      .map((e) => ({ fn: e.fn, where: e.where, selfPct: share(e.t) })),
    byPackage: [...pkgTime.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([pkg, t]) => ({ pkg, selfPct: share(t) })),
  };
}
