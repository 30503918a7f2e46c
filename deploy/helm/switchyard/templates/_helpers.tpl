{{/*
Named templates for the Switchyard native sidecar. Use them in your own chart's pod spec:
  initContainers:
    {{- include "switchyard.sidecarContainer" . | nindent 4 }}
  volumes:
    {{- include "switchyard.sidecarVolumes" . | nindent 4 }}
and in the app container's env:
    {{- include "switchyard.appEnv" . | nindent 6 }}
They render the same container as deploy/kubernetes and the webhook (src/webhook/sidecar-spec.ts).
Written in a plain subset of the template language (no with/range) so the test renderer covers it.
*/}}

{{- define "switchyard.labels" -}}
app.kubernetes.io/part-of: switchyard
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{- define "switchyard.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end }}

{{- define "switchyard.probes" -}}
startupProbe:
  httpGet: { path: /readyz, port: 4001 }
  periodSeconds: 1
  failureThreshold: 60
  timeoutSeconds: 2
readinessProbe:
  httpGet: { path: /readyz, port: 4001 }
  periodSeconds: 5
  failureThreshold: 3
  timeoutSeconds: 2
livenessProbe:
  httpGet: { path: /livez, port: 4001 }
  periodSeconds: 10
  failureThreshold: 3
  timeoutSeconds: 2
{{- end }}

{{- define "switchyard.securityContext" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 10001
  runAsGroup: 10001
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities: { drop: ["ALL"] }
  seccompProfile: { type: RuntimeDefault }
{{- end }}

{{- define "switchyard.volumeMounts" -}}
volumeMounts:
  - name: switchyard-config
    mountPath: /etc/switchyard
    readOnly: true
  - name: switchyard-provider-keys
    mountPath: /var/run/secrets/switchyard
    readOnly: true
  - name: switchyard-data
    mountPath: /app/.switchyard
  - name: switchyard-tmp
    mountPath: /tmp
{{- end }}

{{- define "switchyard.sidecarContainer" -}}
- name: switchyard
  image: {{ include "switchyard.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  restartPolicy: Always
  args: ["serve", "--config", "/etc/switchyard/switchyard.yaml"]
  ports:
    - name: sy-health
      containerPort: 4001
      protocol: TCP
  env:
    - name: POD_NAME
      valueFrom: { fieldRef: { fieldPath: metadata.name } }
    - name: POD_NAMESPACE
      valueFrom: { fieldRef: { fieldPath: metadata.namespace } }
    - name: SWITCHYARD_WORKLOAD
      valueFrom: { fieldRef: { fieldPath: "metadata.labels['{{ .Values.sidecar.workloadLabel }}']" } }
    - name: SWITCHYARD_CONFIG
      value: /etc/switchyard/switchyard.yaml
    - name: OTEL_RESOURCE_ATTRIBUTES
      value: k8s.namespace.name=$(POD_NAMESPACE),k8s.pod.name=$(POD_NAME),k8s.deployment.name=$(SWITCHYARD_WORKLOAD)
  {{- include "switchyard.probes" . | nindent 2 }}
  resources:
    {{- toYaml .Values.sidecar.resources | nindent 4 }}
  {{- include "switchyard.securityContext" . | nindent 2 }}
  {{- include "switchyard.volumeMounts" . | nindent 2 }}
{{- end }}

{{- define "switchyard.sidecarVolumes" -}}
- name: switchyard-config
  configMap: { name: {{ .Values.configMap.name }} }
- name: switchyard-provider-keys
  secret: { secretName: {{ .Values.providerKeys.secretName }} }
- name: switchyard-data
  emptyDir: { sizeLimit: 512Mi }
- name: switchyard-tmp
  emptyDir: { sizeLimit: 64Mi }
{{- end }}

{{- define "switchyard.appEnv" -}}
- name: OPENAI_BASE_URL
  value: http://127.0.0.1:4000/v1
{{- end }}
