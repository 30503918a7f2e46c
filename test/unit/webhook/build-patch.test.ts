import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Container, Pod as PodType } from 'kubernetes-types/core/v1.js';
import { Pod } from 'kubernetes-models/v1/Pod';
import type { AdmissionReview } from '../../../src/webhook/admission-types.js';
import { admit } from '../../../src/webhook/admit.js';
import { buildPatch, type InjectOptions } from '../../../src/webhook/build-patch.js';
import { APP_BASE_URL, buildSidecarContainer, HEALTH_PORT } from '../../../src/webhook/sidecar-spec.js';
import { applyJsonPatch } from './apply-json-patch.js';

const options: InjectOptions = {
  image: 'ghcr.io/switchyard/switchyard:0.1.0',
  configMap: 'switchyard-config',
  secret: 'switchyard-provider-keys',
};

function fixture(name: string): AdmissionReview {
  return JSON.parse(readFileSync(new URL(`../../fixtures/admission/${name}`, import.meta.url), 'utf8')) as AdmissionReview;
}

function injected(name: string): { review: AdmissionReview; pod: PodType } {
  const review = fixture(name);
  const { patch, skipped } = buildPatch(review, options);
  assert.equal(skipped, undefined);
  assert.ok(patch.length > 0);
  const pod = applyJsonPatch(review.request?.object as PodType, patch);
  return { review, pod };
}

function env(c: Container | undefined, name: string): string | undefined {
  return c?.env?.find((e) => e.name === name)?.value;
}

describe('buildPatch on real AdmissionReview shapes', () => {
  it('injects the native sidecar, volumes and app env into a labelled Deployment pod', () => {
    const { pod } = injected('pod-create-labelled.json');
    const sidecar = pod.spec?.initContainers?.[0];
    assert.equal(sidecar?.name, 'switchyard');
    assert.equal(sidecar?.restartPolicy, 'Always');
    assert.equal(sidecar?.image, options.image);
    for (const probe of [sidecar?.startupProbe, sidecar?.readinessProbe, sidecar?.livenessProbe]) {
      assert.equal(probe?.httpGet?.port, HEALTH_PORT);
    }
    // Workload from the ReplicaSet owner minus the pod-template-hash.
    assert.equal(env(sidecar, 'SWITCHYARD_WORKLOAD'), 'support-bot');
    assert.match(env(sidecar, 'OTEL_RESOURCE_ATTRIBUTES') ?? '', /k8s\.deployment\.name=\$\(SWITCHYARD_WORKLOAD\)/);
    assert.equal(env(pod.spec?.containers[0], 'OPENAI_BASE_URL'), APP_BASE_URL);
    // The secret reaches the sidecar only.
    assert.ok(sidecar?.volumeMounts?.some((m) => m.name === 'switchyard-provider-keys'));
    assert.ok(!pod.spec?.containers[0]?.volumeMounts?.some((m) => m.name === 'switchyard-provider-keys'));
    assert.deepEqual(
      pod.spec?.volumes?.map((v) => v.name),
      ['kube-api-access-7xk2p', 'switchyard-config', 'switchyard-provider-keys', 'switchyard-data', 'switchyard-tmp'],
    );
    assert.equal(pod.metadata?.annotations?.['switchyard.dev/status'], 'injected');
    // Still a valid Pod per the Kubernetes OpenAPI schema.
    new Pod(pod as ConstructorParameters<typeof Pod>[0]).validate();
  });

  it('puts the sidecar first, appends env, keeps an app-chosen OPENAI_BASE_URL and existing annotations', () => {
    const { pod } = injected('pod-create-labelled-with-init-env-annotations.json');
    assert.deepEqual(
      pod.spec?.initContainers?.map((c) => c.name),
      ['switchyard', 'migrate'],
    );
    assert.deepEqual(pod.spec?.containers[0]?.env, [
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'OPENAI_BASE_URL', value: APP_BASE_URL },
    ]);
    assert.deepEqual(pod.spec?.containers[1]?.env, [{ name: 'OPENAI_BASE_URL', value: 'http://llm-gateway.ai:4000/v1' }]);
    assert.deepEqual(pod.metadata?.annotations, {
      'kubectl.kubernetes.io/restartedAt': '2026-11-20T10:00:00Z',
      'switchyard.dev/status': 'injected',
    });
    new Pod(pod as ConstructorParameters<typeof Pod>[0]).validate();
  });

  it('names a StatefulSet workload after its owner', () => {
    const { pod } = injected('pod-create-statefulset.json');
    const sidecar = pod.spec?.initContainers?.[0];
    assert.equal(env(sidecar, 'SWITCHYARD_WORKLOAD'), 'ledger');
    assert.match(env(sidecar, 'OTEL_RESOURCE_ATTRIBUTES') ?? '', /k8s\.statefulset\.name=\$\(SWITCHYARD_WORKLOAD\)/);
  });

  it('is idempotent: a patched pod gets no second patch', () => {
    const { review, pod } = injected('pod-create-labelled.json');
    const again: AdmissionReview = { ...review, request: { ...(review.request as NonNullable<AdmissionReview['request']>), object: pod } };
    assert.deepEqual(buildPatch(again, options), { patch: [], skipped: 'already-injected' });
    assert.deepEqual(buildPatch(fixture('pod-create-already-injected.json'), options), { patch: [], skipped: 'already-injected' });
  });

  it('never touches pods that did not ask, updates, or other kinds', () => {
    assert.deepEqual(buildPatch(fixture('pod-create-unlabelled.json'), options), { patch: [], skipped: 'not-labelled' });
    assert.deepEqual(buildPatch(fixture('pod-create-label-false.json'), options), { patch: [], skipped: 'not-labelled' });
    assert.deepEqual(buildPatch(fixture('pod-update-labelled.json'), options), { patch: [], skipped: 'not-create' });
    assert.deepEqual(buildPatch(fixture('deployment-create.json'), options), { patch: [], skipped: 'not-a-pod' });
  });

  it('refuses to clobber a pod volume that already uses one of our names', () => {
    const review = fixture('pod-create-labelled.json');
    review.request?.object?.spec?.volumes?.push({ name: 'switchyard-data', emptyDir: {} });
    assert.deepEqual(buildPatch(review, options), { patch: [], skipped: 'volume-name-taken' });
  });

  it('injects the same container the Kustomize component and chart declare, apart from the workload source', () => {
    const { pod } = injected('pod-create-labelled.json');
    const fromSpec = buildSidecarContainer({ ...options, workload: { kind: 'deployment', name: 'support-bot' } });
    assert.deepEqual(pod.spec?.initContainers?.[0], fromSpec);
  });
});

describe('admit', () => {
  it('answers with the request uid and a base64 JSON Patch', () => {
    const review = fixture('pod-create-labelled.json');
    const { review: out } = admit(review, options);
    assert.equal(out.apiVersion, 'admission.k8s.io/v1');
    assert.equal(out.response?.uid, review.request?.uid);
    assert.equal(out.response?.allowed, true);
    assert.equal(out.response?.patchType, 'JSONPatch');
    const patch = JSON.parse(Buffer.from(out.response?.patch ?? '', 'base64').toString('utf8'));
    assert.deepEqual(patch, buildPatch(review, options).patch);
  });

  it('allows without a patch when nothing is to be done', () => {
    const review = fixture('pod-create-unlabelled.json');
    const result = admit(review, options);
    assert.deepEqual(result.review.response, { uid: review.request?.uid, allowed: true });
    assert.equal(result.skipped, 'not-labelled');
  });

  it('fails open on a malformed pod: allowed, no patch, the error handed back for logging', () => {
    const review = fixture('pod-create-labelled.json');
    // A labelled pod whose containers is not a list: buildPatch throws on it.
    (review.request?.object?.spec as unknown as { containers: unknown }).containers = { name: 'app' };
    const result = admit(review, options);
    assert.equal(result.skipped, 'error');
    assert.ok(result.error instanceof Error);
    assert.deepEqual(result.review.response, { uid: review.request?.uid, allowed: true });
  });
});
