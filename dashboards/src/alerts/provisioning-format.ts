import type * as alerting from '@grafana/grafana-foundation-sdk/alerting';
import type { ContactPointBuilder, NotificationPolicyBuilder, RuleBuilder } from '@grafana/grafana-foundation-sdk/alerting';
import { DASHBOARD_FOLDER } from '../constants.js';

/**
 * The SDK's alerting builders produce the HTTP API shapes; Grafana's file provisioning
 * (`/etc/grafana/provisioning/alerting/*.yaml`, apiVersion 1) groups rules under
 * `{ orgId, name, folder, interval }`, nests receivers under a contact point name and wraps the
 * policy tree in `policies`. These functions map one onto the other.
 *
 * Grafana expands environment variables (`$NAME`) in most provisioned fields (titles, labels,
 * contact point settings) but not in query models, and only `${NAME}` in annotations; a literal
 * `$` in a title or label must be written `$$`. The tests check that.
 */
export interface ProvisionedRule {
  uid: string;
  title: string;
  condition: string;
  data: { refId: string; relativeTimeRange: { from: number; to: number }; datasourceUid: string; model: unknown }[];
  noDataState: alerting.Rule['noDataState'];
  execErrState: alerting.Rule['execErrState'];
  for: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  isPaused: boolean;
}

export interface RuleFile {
  apiVersion: 1;
  groups: { orgId: number; name: string; folder: string; interval: string; rules: ProvisionedRule[] }[];
}

export function ruleFile(rules: RuleBuilder[], intervalSeconds: number): RuleFile {
  const built = rules.map((r) => r.build());
  const groupNames = [...new Set(built.map((r) => r.ruleGroup))];
  return {
    apiVersion: 1,
    groups: groupNames.map((name) => ({
      orgId: 1,
      name,
      folder: DASHBOARD_FOLDER,
      interval: `${intervalSeconds}s`,
      rules: built.filter((r) => r.ruleGroup === name).map(toProvisionedRule),
    })),
  };
}

function toProvisionedRule(rule: alerting.Rule): ProvisionedRule {
  if (!rule.uid) throw new Error(`alert rule "${rule.title}" has no uid`);
  return {
    uid: rule.uid,
    title: rule.title,
    condition: rule.condition,
    data: rule.data.map((q) => ({
      refId: q.refId ?? '',
      relativeTimeRange: { from: q.relativeTimeRange?.from ?? 0, to: q.relativeTimeRange?.to ?? 0 },
      datasourceUid: q.datasourceUid ?? '',
      model: JSON.parse(JSON.stringify(q.model)) as unknown,
    })),
    noDataState: rule.noDataState,
    execErrState: rule.execErrState,
    for: rule.for,
    annotations: rule.annotations ?? {},
    labels: rule.labels ?? {},
    isPaused: rule.isPaused ?? false,
  };
}

export function contactPointFile(points: ContactPointBuilder[]) {
  return {
    apiVersion: 1,
    contactPoints: points
      .map((p) => p.build())
      .map((p) => ({
        orgId: 1,
        name: p.name ?? '',
        receivers: [
          { uid: p.uid ?? '', type: p.type, settings: p.settings as unknown, disableResolveMessage: p.disableResolveMessage ?? false },
        ],
      })),
  };
}

export function policyFile(policy: NotificationPolicyBuilder) {
  return { apiVersion: 1, policies: [{ orgId: 1, ...policy.build() }] };
}
