import type { Pod } from 'kubernetes-types/core/v1.js';

/**
 * The parts of `admission.k8s.io/v1` AdmissionReview the webhook reads and writes
 * (https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/).
 * kubernetes-types has no admission/v1 package, so these are written from the API reference.
 */
export interface AdmissionRequest {
  uid: string;
  kind?: { group: string; version: string; kind: string };
  resource?: { group: string; version: string; resource: string };
  operation?: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  namespace?: string;
  name?: string;
  dryRun?: boolean;
  object?: Pod | null;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: 'JSONPatch';
  /** base64 of the JSON Patch document. */
  patch?: string;
  warnings?: string[];
}

export interface AdmissionReview {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

/** RFC 6902 operations; the webhook only ever adds. */
export interface JsonPatchAdd {
  op: 'add';
  path: string;
  value: unknown;
}
