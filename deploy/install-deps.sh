#!/usr/bin/env bash
# Install the Debian packages listed in deploy/packages.txt, only those missing.
# Idempotent: when everything is present it prints one line and exits fast.
# Never lets package installation start system daemons (Debian's redis and
# postgresql packages would otherwise grab ports 6379/5432 that stack.sh needs).
set -euo pipefail

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PACKAGES_FILE="${PACKAGES_FILE:-$DEPLOY_DIR/packages.txt}"
# invoke-rc.d consults this fixed path (override only for testing this script).
POLICY_RC_D="${POLICY_RC_D:-/usr/sbin/policy-rc.d}"

say() { printf '[deps] %s\n' "$*"; }
die() { printf '[deps] ERROR: %s\n' "$*" >&2; exit 1; }

# Package names from packages.txt, comments and blank lines removed.
read_packages() {
    sed -e 's/#.*//' -e 's/[[:space:]]\+/\n/g' "$PACKAGES_FILE" | sed '/^$/d'
}

# Print the packages that are not "install ok installed" (one dpkg-query call: fast).
missing_packages() {
    local -A installed=()
    local name status
    # dpkg-query exits 1 and complains on stderr for never-seen packages: expected.
    while IFS=$'\t' read -r name status; do
        [[ "$status" == "install ok installed" ]] && installed["$name"]=1
    done < <(dpkg-query -W -f='${Package}\t${Status}\n' "$@" 2>/dev/null || true)
    local p
    for p in "$@"; do
        [[ -n "${installed[$p]:-}" ]] || printf '%s\n' "$p"
    done
}

# Run as root directly, otherwise through sudo.
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

created_policy=0
remove_policy() {
    # Only remove the policy file if this script created it.
    if [[ $created_policy -eq 1 ]]; then
        as_root rm -f "$POLICY_RC_D"
    fi
}

main() {
    [[ -r "$PACKAGES_FILE" ]] || die "cannot read $PACKAGES_FILE"
    command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script supports Debian/Ubuntu only"

    local -a wanted missing
    mapfile -t wanted < <(read_packages)
    mapfile -t missing < <(missing_packages "${wanted[@]}")

    if [[ ${#missing[@]} -eq 0 ]]; then
        say "all ${#wanted[@]} packages already installed"
        return 0
    fi

    say "missing ${#missing[@]} package(s): ${missing[*]}"

    # policy-rc.d exit 101 = "action forbidden": invoke-rc.d will not start
    # redis/postgresql system services during installation.
    if [[ ! -e "$POLICY_RC_D" ]]; then
        say "installing temporary $POLICY_RC_D so no system service starts"
        printf '#!/bin/sh\n# temporary, from deploy/install-deps.sh\nexit 101\n' | as_root tee "$POLICY_RC_D" >/dev/null
        as_root chmod 0755 "$POLICY_RC_D"
        created_policy=1
        trap remove_policy EXIT
    fi
    # RUNLEVEL=1: old-style init scripts also refuse to start. NEEDRESTART_SUSPEND:
    # needrestart (if installed) must not restart daemons after the upgrade.
    export RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1

    say "apt-get update"
    as_root env RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get update -q

    say "apt-get install ${missing[*]}"
    as_root env RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 \
        apt-get install -y -q --no-install-recommends "${missing[@]}"

    # Verify: a package name typo or a failed postinst must not pass silently.
    mapfile -t missing < <(missing_packages "${wanted[@]}")
    if [[ ${#missing[@]} -gt 0 ]]; then
        die "still not installed after apt-get: ${missing[*]}"
    fi
    say "done: all ${#wanted[@]} packages installed"
}

main "$@"
