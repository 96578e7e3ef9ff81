# shellcheck shell=bash
# Sourced by tests/bench.sh: CPU time and resident memory of every process of
# the local stack, read from /proc. Needs deploy/env.sh sourced.

# bench_procs: "name pid" per line: the nine services, the Kafka broker,
# Redis, and PostgreSQL (the postmaster; its backends are added up in
# proc_sample).
bench_procs() {
    local name pid
    for name in "${SERVICES[@]}" kafka redis; do
        pid=$(cat "$RUN_DIR/pids/$name.pid" 2>/dev/null) || continue
        [[ -d /proc/$pid ]] && printf '%s %s\n' "$name" "$pid"
    done
    pid=$(head -n 1 "$RUN_DIR/pg/data/postmaster.pid" 2>/dev/null) || true
    [[ -n "$pid" && -d /proc/$pid ]] && printf 'postgresql %s\n' "$pid"
    return 0
}

# proc_sample: "name cpu_ticks rss_kb" per process of bench_procs
# (PostgreSQL: the postmaster plus its children).
proc_sample() {
    local name pid p ticks rss
    while read -r name pid; do
        local pids=("$pid")
        if [[ $name == postgresql ]]; then
            mapfile -t -O 1 pids < <(pgrep -P "$pid" 2>/dev/null || true)
        fi
        ticks=0 rss=0
        for p in "${pids[@]}"; do
            [[ -r /proc/$p/stat ]] || continue
            # utime and stime: fields 14 and 15, after the ")" of the command name.
            ticks=$((ticks + $(sed 's/.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
            rss=$((rss + $(awk '/^VmRSS/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)))
        done
        printf '%s %s %s\n' "$name" "$ticks" "$rss"
    done < <(bench_procs)
}
