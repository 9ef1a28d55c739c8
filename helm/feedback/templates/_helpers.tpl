{{- define "feedback.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "feedback.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "feedback.labels" -}}
{{ include "feedback.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "feedback.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "feedback.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Probes need a plaintext port: the main one, or the health port under TLS. */}}
{{- define "feedback.probePort" -}}
{{- if .Values.tls.enabled -}}{{ .Values.ports.health }}{{- else -}}{{ .Values.ports.grpc }}{{- end -}}
{{- end -}}

{{- define "feedback.checkValues" -}}
{{- if and (not .Values.tls.enabled) (not .Values.insecure) -}}
{{- fail "tls.enabled is false: enable TLS (tls.secretName) or set insecure: true explicitly" -}}
{{- end -}}
{{- if and .Values.tls.enabled (not .Values.tls.secretName) -}}
{{- fail "tls.secretName is required when tls.enabled is true" -}}
{{- end -}}
{{- if and .Values.tls.clientCA.enabled (not .Values.tls.enabled) -}}
{{- fail "tls.clientCA.enabled needs tls.enabled" -}}
{{- end -}}
{{- if and .Values.tls.clientCA.enabled (not .Values.tls.clientCA.secretName) -}}
{{- fail "tls.clientCA.secretName is required when tls.clientCA.enabled is true" -}}
{{- end -}}
{{- end -}}

{{/* The database URL from the existing Secret. */}}
{{- define "feedback.databaseEnv" -}}
- name: FEEDBACK_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret }}
      key: {{ .Values.database.key }}
{{- end -}}
