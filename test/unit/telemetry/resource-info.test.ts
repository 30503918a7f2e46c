import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { resourceInfo } from '../../../src/telemetry/resource-info.js';

test('resourceInfo: service, namespace, pod and the deployment as workload', () => {
  const r = resourceFromAttributes({
    'service.name': 'checkout',
    'k8s.namespace.name': 'shop',
    'k8s.pod.name': 'checkout-7d9f-abcde',
    'k8s.deployment.name': 'checkout',
    'k8s.job.name': 'ignored-when-a-deployment-is-set',
  });
  assert.deepEqual(resourceInfo(r), { service: 'checkout', namespace: 'shop', pod: 'checkout-7d9f-abcde', workload: 'checkout' });
});

test('resourceInfo: workload falls back to statefulset, daemonset, then job', () => {
  assert.equal(resourceInfo(resourceFromAttributes({ 'k8s.statefulset.name': 'db' })).workload, 'db');
  assert.equal(resourceInfo(resourceFromAttributes({ 'k8s.daemonset.name': 'agent' })).workload, 'agent');
  assert.equal(resourceInfo(resourceFromAttributes({ 'k8s.job.name': 'nightly' })).workload, 'nightly');
});

test('resourceInfo: empty strings when absent or not a string', () => {
  assert.deepEqual(resourceInfo(resourceFromAttributes({ 'k8s.pod.name': 42 })), {
    service: '',
    namespace: '',
    pod: '',
    workload: '',
  });
});
