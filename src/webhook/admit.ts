import type { AdmissionReview } from './admission-types.js';
import { buildPatch, type InjectOptions, type SkipReason } from './build-patch.js';

export interface AdmitResult {
  review: AdmissionReview;
  /** Set when the review was allowed without a patch. */
  skipped?: SkipReason | 'error';
  error?: unknown;
}

/**
 * Answers one AdmissionReview. FAILS OPEN: any error while building the patch allows the pod
 * unchanged (the caller logs it). A pod without Switchyard is better than a pod that never starts.
 */
export function admit(body: unknown, options: InjectOptions): AdmitResult {
  const review = body as AdmissionReview;
  const uid = typeof review?.request?.uid === 'string' ? review.request.uid : '';
  const allow = (extra: Partial<AdmitResult> = {}): AdmitResult => ({
    review: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } },
    ...extra,
  });
  try {
    const { patch, skipped } = buildPatch(review, options);
    if (patch.length === 0) return allow({ skipped: skipped ?? 'already-injected' });
    return {
      review: {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        response: {
          uid,
          allowed: true,
          patchType: 'JSONPatch',
          patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
        },
      },
    };
  } catch (error) {
    return allow({ skipped: 'error', error });
  }
}
