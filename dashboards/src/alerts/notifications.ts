import { ContactPointBuilder, NotificationPolicyBuilder } from '@grafana/grafana-foundation-sdk/alerting';

/**
 * Contact points and the notification policy tree. Budget alerts (team=finops) go to the FinOps
 * receiver; everything else to on-call. Both are webhooks whose URL Grafana reads from the
 * environment at provisioning time (set them in the compose file / Helm values).
 */
export const RECEIVERS = {
  oncall: { name: 'switchyard-oncall', uid: 'sy-oncall-webhook', env: 'SWITCHYARD_ONCALL_WEBHOOK_URL' },
  finops: { name: 'switchyard-finops', uid: 'sy-finops-webhook', env: 'SWITCHYARD_FINOPS_WEBHOOK_URL' },
} as const;

export function contactPoints(): ContactPointBuilder[] {
  return Object.values(RECEIVERS).map((r) =>
    new ContactPointBuilder()
      .name(r.name)
      .uid(r.uid)
      .type('webhook')
      .settings({ url: `$${r.env}`, httpMethod: 'POST' })
      .disableResolveMessage(false),
  );
}

export function notificationPolicy(): NotificationPolicyBuilder {
  return new NotificationPolicyBuilder()
    .receiver(RECEIVERS.oncall.name)
    .groupBy(['grafana_folder', 'alertname'])
    .groupWait('30s')
    .groupInterval('5m')
    .repeatInterval('4h')
    .routes([
      new NotificationPolicyBuilder()
        .receiver(RECEIVERS.finops.name)
        .objectMatchers([['team', '=', 'finops']])
        .groupBy(['alertname', 'feature'])
        .repeatInterval('12h'),
    ]);
}
