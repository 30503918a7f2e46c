import type { Container, EnvVar, Volume } from 'kubernetes-types/core/v1.js';

/**
 * The one definition of the Switchyard native sidecar, as Kubernetes objects. The admission webhook
 * injects exactly this, and the Kustomize component and Helm chart under deploy/ are checked against
 * it by tests (test/deploy/manifests-*.test.ts), so the three ways of deploying cannot drift apart.
 */
export const SIDECAR_NAME = 'switchyard';
export const API_PORT = 4000;
export const HEALTH_PORT = 4001;
export const CONFIG_DIR = '/etc/switchyard';
export const CONFIG_FILE = `${CONFIG_DIR}/switchyard.yaml`;
export const SECRET_DIR = '/var/run/secrets/switchyard';
/** Working state (embedded ledger, spool) lives here; the image's WORKDIR is /app. */
export const DATA_DIR = '/app/.switchyard';
export const VOLUME_CONFIG = 'switchyard-config';
export const VOLUME_SECRET = 'switchyard-provider-keys';
export const VOLUME_DATA = 'switchyard-data';
export const VOLUME_TMP = 'switchyard-tmp';
export const APP_BASE_URL = `http://127.0.0.1:${API_PORT}/v1`;
/** Pod label that asks the webhook for injection, and the annotation it leaves behind. */
export const INJECT_LABEL = 'switchyard.dev/inject';
export const STATUS_ANNOTATION = 'switchyard.dev/status';
/** Pod label the Kustomize component and chart read the workload name from (downward API). */
export const WORKLOAD_LABEL = 'app.kubernetes.io/name';

export type WorkloadKind = 'deployment' | 'statefulset' | 'daemonset';

export interface SidecarOptions {
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  configMap: string;
  secret: string;
  /**
   * Where the workload name comes from: a literal (the webhook knows the pod's owner) or a pod
   * label read through the downward API (Kustomize, Helm).
   */
  workload: { kind: WorkloadKind; name: string } | { kind: WorkloadKind; fromLabel: string };
}

function workloadEnv(w: SidecarOptions['workload']): EnvVar {
  return 'name' in w
    ? { name: 'SWITCHYARD_WORKLOAD', value: w.name }
    : { name: 'SWITCHYARD_WORKLOAD', valueFrom: { fieldRef: { fieldPath: `metadata.labels['${w.fromLabel}']` } } };
}

/** Env for the sidecar. Order matters: `$(VAR)` only expands variables defined earlier in the list. */
export function sidecarEnv(o: SidecarOptions): EnvVar[] {
  return [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    workloadEnv(o.workload),
    { name: 'SWITCHYARD_CONFIG', value: CONFIG_FILE },
    {
      name: 'OTEL_RESOURCE_ATTRIBUTES',
      value: `k8s.namespace.name=$(POD_NAMESPACE),k8s.pod.name=$(POD_NAME),k8s.${o.workload.kind}.name=$(SWITCHYARD_WORKLOAD)`,
    },
  ];
}

export function buildSidecarContainer(o: SidecarOptions): Container {
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: HEALTH_PORT },
    periodSeconds,
    failureThreshold,
    timeoutSeconds: 2,
  });
  return {
    name: SIDECAR_NAME,
    image: o.image,
    imagePullPolicy: o.imagePullPolicy ?? 'IfNotPresent',
    // Native sidecar (Kubernetes >= 1.29): starts before the app, stops after it.
    restartPolicy: 'Always',
    args: ['serve', '--config', CONFIG_FILE],
    ports: [{ name: 'sy-health', containerPort: HEALTH_PORT, protocol: 'TCP' }],
    env: sidecarEnv(o),
    // The app container starts only once this passes.
    startupProbe: probe('/readyz', 1, 60),
    readinessProbe: probe('/readyz', 5, 3),
    livenessProbe: probe('/livez', 10, 3),
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [
      // A directory, never subPath: the sidecar watches it, and ConfigMap updates swap a symlink in it.
      { name: VOLUME_CONFIG, mountPath: CONFIG_DIR, readOnly: true },
      { name: VOLUME_SECRET, mountPath: SECRET_DIR, readOnly: true },
      { name: VOLUME_DATA, mountPath: DATA_DIR },
      { name: VOLUME_TMP, mountPath: '/tmp' },
    ],
  };
}

export function buildSidecarVolumes(o: Pick<SidecarOptions, 'configMap' | 'secret'>): Volume[] {
  return [
    { name: VOLUME_CONFIG, configMap: { name: o.configMap } },
    { name: VOLUME_SECRET, secret: { secretName: o.secret } },
    { name: VOLUME_DATA, emptyDir: { sizeLimit: '512Mi' } },
    { name: VOLUME_TMP, emptyDir: { sizeLimit: '64Mi' } },
  ];
}

/** What the app container gets: the unchanged OpenAI SDK reads OPENAI_BASE_URL. */
export function appEnv(): EnvVar[] {
  return [{ name: 'OPENAI_BASE_URL', value: APP_BASE_URL }];
}
