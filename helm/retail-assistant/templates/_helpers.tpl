{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "retail-assistant.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name; components append "-<service>". */}}
{{- define "retail-assistant.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "retail-assistant.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Name of a component's objects. Call with (dict "root" $ "component" "gateway"). */}}
{{- define "retail-assistant.componentName" -}}
{{- printf "%s-%s" (include "retail-assistant.fullname" .root | trunc 40 | trimSuffix "-") .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Standard labels. Call with the root context. */}}
{{- define "retail-assistant.labels" -}}
helm.sh/chart: {{ include "retail-assistant.chart" . }}
{{ include "retail-assistant.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: retail-assistant
{{- end }}

{{- define "retail-assistant.selectorLabels" -}}
app.kubernetes.io/name: {{ include "retail-assistant.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of one component. Call with (dict "root" $ "component" NAME). */}}
{{- define "retail-assistant.componentLabels" -}}
{{ include "retail-assistant.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "retail-assistant.componentSelectorLabels" -}}
{{ include "retail-assistant.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "retail-assistant.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}

{{- define "retail-assistant.configMapName" -}}
{{- printf "%s-env" (include "retail-assistant.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Name of the Secret holding sensitive environment. */}}
{{- define "retail-assistant.secretName" -}}
{{- .Values.secret.existingSecret | default (printf "%s-secret" (include "retail-assistant.fullname" .) | trunc 63 | trimSuffix "-") }}
{{- end }}

{{/* ServiceAccount of a component. Call with (dict "root" $ "component" NAME). */}}
{{- define "retail-assistant.serviceAccountName" -}}
{{- if .root.Values.serviceAccount.create }}
{{- include "retail-assistant.componentName" . }}
{{- else }}
{{- "default" }}
{{- end }}
{{- end }}

{{/* DATABASE_URL from the Secret. */}}
{{- define "retail-assistant.databaseUrlEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "retail-assistant.secretName" . }}
      key: {{ required "postgresql.urlKey is required" .Values.postgresql.urlKey }}
{{- end }}

{{/* Services whose replicas the autoscaler owns. Call with the service values. */}}
{{- define "retail-assistant.autoscaled" -}}
{{- $a := .autoscaling | default dict }}
{{- if and $a.mode (ne $a.mode "none") }}true{{ end }}
{{- end }}

{{/*
Pod spec of one service, shared by the Deployments and the gateway StatefulSet.
Call with (dict "root" $ "name" NAME "svc" SERVICE-VALUES).
*/}}
{{- define "retail-assistant.podSpec" -}}
{{- $root := .root }}
{{- $svc := .svc }}
{{- $ctx := dict "root" $root "component" .name }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
serviceAccountName: {{ include "retail-assistant.serviceAccountName" $ctx }}
automountServiceAccountToken: {{ $root.Values.serviceAccount.automount }}
enableServiceLinks: false
terminationGracePeriodSeconds: {{ $root.Values.terminationGracePeriodSeconds }}
{{- with $root.Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
containers:
  - name: {{ .name }}
    image: {{ include "retail-assistant.image" $root }}
    imagePullPolicy: {{ $root.Values.image.pullPolicy }}
    {{- if eq .name "gateway" }}
    # GATEWAY_ORDINAL: the partition of chat.outbound.v1 this pod owns, the
    # ordinal at the end of the StatefulSet pod name (HOSTNAME = pod name).
    command:
      - /bin/sh
      - -c
      - 'GATEWAY_ORDINAL="${HOSTNAME##*-}"; export GATEWAY_ORDINAL; exec gateway'
    {{- else }}
    command: [{{ .name | quote }}]
    {{- end }}
    envFrom:
      - configMapRef:
          name: {{ include "retail-assistant.configMapName" $root }}
    env:
      - name: ADMIN_PORT
        value: {{ $svc.adminPort | quote }}
      {{- with $svc.consumerGroup }}
      - name: KAFKA_GROUP_ID
        value: {{ . | quote }}
      {{- end }}
      {{- if eq .name "gateway" }}
      - name: GATEWAY_HTTP_ADDR
        value: "0.0.0.0"
      - name: GATEWAY_HTTP_PORT
        value: {{ $svc.httpPort | default 8080 | quote }}
      - name: GATEWAY_WS_ADDR
        value: "0.0.0.0"
      - name: GATEWAY_WS_PORT
        value: {{ $svc.wsPort | default 8081 | quote }}
      - name: GATEWAY_ALLOWED_ORIGINS
        value: {{ $svc.allowedOrigins | default "" | quote }}
      # Static group membership: the pod name is stable in a StatefulSet.
      - name: KAFKA_GROUP_INSTANCE_ID
        valueFrom:
          fieldRef:
            fieldPath: metadata.name
      {{- end }}
      {{- if $svc.redis }}
      - name: REDIS_URL
        value: {{ required "redis.url is required" $root.Values.redis.url | quote }}
      {{- end }}
      {{- if $svc.database }}
      {{- include "retail-assistant.databaseUrlEnv" $root | nindent 6 }}
      {{- end }}
      {{- range $key := $svc.secretEnv }}
      - name: {{ $key }}
        valueFrom:
          secretKeyRef:
            name: {{ include "retail-assistant.secretName" $root }}
            key: {{ $key }}
      {{- end }}
      {{- range $k, $v := $svc.env }}
      - name: {{ $k }}
        value: {{ $v | quote }}
      {{- end }}
    ports:
      - name: admin
        containerPort: {{ $svc.adminPort }}
        protocol: TCP
      {{- if eq .name "gateway" }}
      - name: http
        containerPort: {{ $svc.httpPort | default 8080 }}
        protocol: TCP
      - name: ws
        containerPort: {{ $svc.wsPort | default 8081 }}
        protocol: TCP
      {{- end }}
    # Started: /healthz (the process serves its admin port). Ready: /readyz
    # (Kafka, and Redis / PostgreSQL where used, reachable). Alive: /healthz
    # (the stage loop keeps beating).
    startupProbe:
      httpGet:
        path: /healthz
        port: admin
      periodSeconds: {{ $root.Values.probes.startup.periodSeconds }}
      failureThreshold: {{ $root.Values.probes.startup.failureThreshold }}
    livenessProbe:
      httpGet:
        path: /healthz
        port: admin
      periodSeconds: {{ $root.Values.probes.liveness.periodSeconds }}
      timeoutSeconds: {{ $root.Values.probes.liveness.timeoutSeconds }}
      failureThreshold: {{ $root.Values.probes.liveness.failureThreshold }}
    readinessProbe:
      httpGet:
        path: /readyz
        port: admin
      periodSeconds: {{ $root.Values.probes.readiness.periodSeconds }}
      timeoutSeconds: {{ $root.Values.probes.readiness.timeoutSeconds }}
      failureThreshold: {{ $root.Values.probes.readiness.failureThreshold }}
    securityContext:
      {{- toYaml $root.Values.securityContext | nindent 6 }}
    {{- with $svc.resources }}
    resources:
      {{- toYaml . | nindent 6 }}
    {{- end }}
{{- with $root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- range . }}
  - {{ toYaml (merge (deepCopy .) (dict "labelSelector" (dict "matchLabels" (include "retail-assistant.componentSelectorLabels" $ctx | fromYaml)))) | nindent 4 | trim }}
  {{- end }}
{{- end }}
{{- end }}

{{/* Pod template metadata (labels + annotations). Call with (dict "root" $ "component" NAME). */}}
{{- define "retail-assistant.podMetadata" -}}
labels:
  {{- include "retail-assistant.componentLabels" . | nindent 2 }}
  {{- with .root.Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
annotations:
  # Roll the pods when the common environment changes.
  checksum/config: {{ include (print .root.Template.BasePath "/configmap.yaml") .root | sha256sum }}
  {{- with .root.Values.podAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{/*
Partitions bound replicas: fail when a service could run more pods than its
topics have partitions (extra consumers would sit idle; an extra gateway
would own no reply partition). Call with (dict "root" $ "name" NAME "svc" VALUES).
*/}}
{{- define "retail-assistant.checkReplicas" -}}
{{- $parts := int .root.Values.kafka.topicPartitions }}
{{- $a := .svc.autoscaling | default dict }}
{{- $mode := $a.mode | default "none" }}
{{- if not (has $mode (list "none" "hpa" "keda")) }}
{{- fail (printf "services.%s.autoscaling.mode must be none, hpa or keda (is %q)" .name $mode) }}
{{- end }}
{{- $max := int .svc.replicas }}
{{- if ne $mode "none" }}
{{- $max = int $a.maxReplicas }}
{{- if gt (int $a.minReplicas) $max }}
{{- fail (printf "services.%s.autoscaling.minReplicas (%d) exceeds maxReplicas (%d)" .name (int $a.minReplicas) $max) }}
{{- end }}
{{- end }}
{{- if gt $max $parts }}
{{- fail (printf "services.%s: up to %d replicas but kafka.topicPartitions is %d: a consumer group never has more busy members than partitions" .name $max $parts) }}
{{- end }}
{{- end }}
