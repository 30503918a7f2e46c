import type { Attributes } from '@opentelemetry/api';
import type { ResourceInfo } from '../core/call-record.js';
import * as S from './semconv.js';

/** Kubernetes workload kinds, in the order they are looked up. */
const WORKLOAD_KEYS = [S.ATTR_K8S_DEPLOYMENT_NAME, S.ATTR_K8S_STATEFULSET_NAME, S.ATTR_K8S_DAEMONSET_NAME, S.ATTR_K8S_JOB_NAME] as const;

function str(attrs: Attributes, key: string): string {
  const v = attrs[key];
  return typeof v === 'string' ? v : '';
}

/**
 * The ledger's view of the OTel resource: service.name, k8s.namespace.name, k8s.pod.name and the
 * workload (deployment, statefulset, daemonset or job name). Empty strings when absent.
 */
export function resourceInfo(resource: { readonly attributes: Attributes }): ResourceInfo {
  const a = resource.attributes;
  let workload = '';
  for (const key of WORKLOAD_KEYS) {
    workload = str(a, key);
    if (workload !== '') break;
  }
  return {
    service: str(a, S.ATTR_SERVICE_NAME),
    namespace: str(a, S.ATTR_K8S_NAMESPACE_NAME),
    pod: str(a, S.ATTR_K8S_POD_NAME),
    workload,
  };
}
