#!/usr/bin/env bash
# Build the chart checking tools from source through the Go module proxy:
# helm and kubeconform, at pinned versions. Each binary is kept as
# $TOOLS_BIN/<name>-<version> (default ~/go/bin/retail-assistant), so a
# second run is instant and a version bump builds the new one beside it.
# Prints one line per tool: "<name> <path>".
#
# Needs Go (1.22+). GOPROXY is Go's default unless set.
#
# Usage: bash deploy/tools/install-go-tools.sh [helm|kubeconform]...
set -euo pipefail

HELM_VERSION=${HELM_VERSION:-v3.19.0}
KUBECONFORM_VERSION=${KUBECONFORM_VERSION:-v0.7.0}

say() { printf '[go-tools] %s\n' "$*" >&2; }
die() { printf '[go-tools] ERROR: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || { [[ -x /usr/local/go/bin/go ]] && PATH=/usr/local/go/bin:$PATH; }
command -v go >/dev/null 2>&1 || die "go not found: install Go 1.22+ (Debian: golang-go)"

TOOLS_BIN=${TOOLS_BIN:-$(go env GOPATH)/bin/retail-assistant}
mkdir -p "$TOOLS_BIN"

# install NAME MODULE-PATH PACKAGE VERSION
install_tool() {
    local name=$1 pkg=$2 version=$3
    local target="$TOOLS_BIN/$name-$version"
    if [[ ! -x "$target" ]]; then
        say "building $name $version from $pkg (first time only, a few minutes)"
        local tmp; tmp=$(mktemp -d)
        # CGO off: static binaries, no C toolchain involved. -p 2: the
        # machine is shared.
        if ! GOBIN="$tmp" CGO_ENABLED=0 go install -p 2 -trimpath -ldflags='-s -w' "$pkg@$version" >&2; then
            rm -rf "$tmp"
            die "go install $pkg@$version failed"
        fi
        mv "$tmp/$(basename "${pkg%/v[0-9]*}")" "$target" 2>/dev/null || mv "$tmp"/* "$target"
        rm -rf "$tmp"
    fi
    printf '%s %s\n' "$name" "$target"
}

tools=("$@")
((${#tools[@]})) || tools=(helm kubeconform)
for t in "${tools[@]}"; do
    case "$t" in
        helm) install_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" ;;
        kubeconform) install_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION" ;;
        *) die "unknown tool: $t (helm, kubeconform)" ;;
    esac
done
