#!/usr/bin/env bash
# Download the Kafka broker jars (and runtime deps) into $RUN_DIR/kafka/libs
# from Maven Central. Skipped when a previous run completed (libs/.complete).
set -euo pipefail

source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/env.sh"
LOG_TAG=kafka-fetch
source "$DEPLOY_DIR/lib.sh"

LIBS_DIR="$RUN_DIR/kafka/libs"
POM="$DEPLOY_DIR/kafka/pom.xml"

main() {
    if [[ -f "$LIBS_DIR/.complete" ]]; then
        return 0
    fi
    command -v mvn >/dev/null 2>&1 || die "mvn not found: run deploy/install-deps.sh"

    # Start clean: a half-finished earlier fetch may have left stray jars.
    rm -rf "$LIBS_DIR"
    mkdir -p "$LIBS_DIR" "$RUN_DIR/logs"
    local mvn_log="$RUN_DIR/logs/kafka-fetch.log"

    log "fetching Kafka broker jars from Maven Central into $LIBS_DIR (first run only, ~1 min)"
    if ! mvn -q -B -Dstyle.color=never -f "$POM" \
            dependency:copy-dependencies \
            -DincludeScope=runtime \
            -DoutputDirectory="$LIBS_DIR" >"$mvn_log" 2>&1; then
        die_with_log "$mvn_log" "mvn could not fetch the Kafka jars"
    fi
    if ! compgen -G "$LIBS_DIR/kafka_2.13-*.jar" >/dev/null; then
        die_with_log "$mvn_log" "mvn finished but kafka_2.13 jar is missing in $LIBS_DIR"
    fi
    touch "$LIBS_DIR/.complete"
    log "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars ($(du -sh "$LIBS_DIR" | cut -f1))"
}

main "$@"
