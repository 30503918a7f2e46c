import type { Pod } from 'kubernetes-types/core/v1.js';
import type { AdmissionReview, JsonPatchAdd } from './admission-types.js';
import {
  INJECT_LABEL,
  SIDECAR_NAME,
  STATUS_ANNOTATION,
  appEnv,
  buildSidecarContainer,
  buildSidecarVolumes,
  type SidecarOptions,
  type WorkloadKind,
} from './sidecar-spec.js';

export type InjectOptions = Omit<SidecarOptions, 'workload'>;

/** Why a pod got no patch; logged and returned in tests. */
export type SkipReason = 'not-a-pod' | 'not-create' | 'not-labelled' | 'already-injected' | 'volume-name-taken';

export interface PatchResult {
  patch: JsonPatchAdd[];
  skipped?: SkipReason;
}

/** RFC 6901: `~` → `~0`, `/` → `~1`. */
function pointer(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * The pod's workload from its owner: a ReplicaSet `web-5d4f8c7b9` with label
 * `pod-template-hash: 5d4f8c7b9` belongs to Deployment `web`.
 */
export function workloadOf(pod: Pod): { kind: WorkloadKind; name: string } {
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller) ?? pod.metadata?.ownerReferences?.[0];
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (owner?.kind === 'ReplicaSet') {
    const name = hash && owner.name.endsWith(`-${hash}`) ? owner.name.slice(0, -hash.length - 1) : owner.name;
    return { kind: 'deployment', name };
  }
  if (owner?.kind === 'StatefulSet') return { kind: 'statefulset', name: owner.name };
  if (owner?.kind === 'DaemonSet') return { kind: 'daemonset', name: owner.name };
  const fallback = pod.metadata?.labels?.['app.kubernetes.io/name'] ?? pod.metadata?.name ?? pod.metadata?.generateName ?? '';
  return { kind: 'deployment', name: fallback.replace(/-$/, '') };
}

/**
 * The JSON Patch that injects the Switchyard native sidecar into a pod labelled
 * `switchyard.dev/inject: "true"`. Pure: no I/O, no clock. Idempotent: a pod that already has a
 * container or init container named `switchyard` gets no patch. Every other object is left alone.
 */
export function buildPatch(review: AdmissionReview, options: InjectOptions): PatchResult {
  const req = review.request;
  const pod = req?.object;
  if (!req || !pod || req.kind?.kind !== 'Pod' || (req.kind.group ?? '') !== '') return { patch: [], skipped: 'not-a-pod' };
  if (req.operation !== 'CREATE') return { patch: [], skipped: 'not-create' };
  if (pod.metadata?.labels?.[INJECT_LABEL] !== 'true') return { patch: [], skipped: 'not-labelled' };
  const spec = pod.spec;
  if (!spec) return { patch: [], skipped: 'not-a-pod' };
  const all = [...(spec.initContainers ?? []), ...spec.containers];
  if (all.some((c) => c.name === SIDECAR_NAME)) return { patch: [], skipped: 'already-injected' };

  const volumes = buildSidecarVolumes(options);
  const taken = new Set((spec.volumes ?? []).map((v) => v.name));
  if (volumes.some((v) => taken.has(v.name))) return { patch: [], skipped: 'volume-name-taken' };

  const sidecar = buildSidecarContainer({ ...options, workload: workloadOf(pod) });
  const patch: JsonPatchAdd[] = [];
  // First init container, so the app's own init containers can already call the gateway.
  patch.push(
    spec.initContainers
      ? { op: 'add', path: '/spec/initContainers/0', value: sidecar }
      : { op: 'add', path: '/spec/initContainers', value: [sidecar] },
  );
  if (spec.volumes) for (const v of volumes) patch.push({ op: 'add', path: '/spec/volumes/-', value: v });
  else patch.push({ op: 'add', path: '/spec/volumes', value: volumes });

  spec.containers.forEach((c, i) => {
    const missing = appEnv().filter((e) => !(c.env ?? []).some((have) => have.name === e.name));
    if (missing.length === 0) return; // the app chose its own OPENAI_BASE_URL: keep it
    if (c.env) for (const e of missing) patch.push({ op: 'add', path: `/spec/containers/${i}/env/-`, value: e });
    else patch.push({ op: 'add', path: `/spec/containers/${i}/env`, value: missing });
  });

  if (pod.metadata?.annotations) {
    patch.push({ op: 'add', path: `/metadata/annotations/${pointer(STATUS_ANNOTATION)}`, value: 'injected' });
  } else {
    patch.push({ op: 'add', path: '/metadata/annotations', value: { [STATUS_ANNOTATION]: 'injected' } });
  }
  return { patch };
}
