# shellcheck shell=bash
# Shared shell helpers for deploy/*.sh. Sourced after env.sh.
# Callers set LOG_TAG (e.g. "stack", "migrate") for the line prefix.

: "${LOG_TAG:=stack}"

log()  { printf '[%s] %s\n' "$LOG_TAG" "$*"; }
warn() { printf '[%s] WARNING: %s\n' "$LOG_TAG" "$*" >&2; }
# fail: report a failure (stderr) without exiting, so callers can add a log tail.
fail() { printf '[%s] FAILED: %s\n' "$LOG_TAG" "$*" >&2; }
die()  { fail "$*"; exit 1; }

# tail_log FILE [N]: show the last N (default 20) lines of a log on stderr.
tail_log() {
    local file=$1 n=${2:-20}
    if [[ -s "$file" ]]; then
        printf '[%s] ---- last %d lines of %s ----\n' "$LOG_TAG" "$n" "$file" >&2
        tail -n "$n" "$file" | sed 's/^/    /' >&2
        printf '[%s] ---- end of %s ----\n' "$LOG_TAG" "$file" >&2
    else
        printf '[%s] (log %s is empty or missing)\n' "$LOG_TAG" "$file" >&2
    fi
}

# die_with_log FILE MESSAGE: report, show the log tail, exit 1.
die_with_log() {
    local file=$1; shift
    fail "$*"
    tail_log "$file"
    exit 1
}

# pid_alive PID [PATTERN]: true if PID runs (not a zombie) and, when PATTERN is
# given, its command line contains PATTERN. The pattern guards against a stale
# pidfile whose number was reused by some unrelated process.
pid_alive() {
    local pid=$1 pattern=${2:-}
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/stat" ]] || return 1
    local stat state
    stat=$(<"/proc/$pid/stat") 2>/dev/null || return 1
    # Field 3 follows the ")" that closes the (possibly spaced) command name.
    state=${stat##*) }
    state=${state%% *}
    # A zombie still has a /proc entry and answers kill -0, but it is gone.
    [[ "$state" != Z && "$state" != X ]] || return 1
    if [[ -n "$pattern" ]]; then
        local cmdline
        cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
        [[ "$cmdline" == *"$pattern"* ]] || return 1
    fi
    return 0
}

# read_pidfile FILE: print the pid stored in FILE (first line), fail if none.
read_pidfile() {
    local file=$1 pid
    [[ -r "$file" ]] || return 1
    read -r pid <"$file" || [[ -n "${pid:-}" ]] || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    printf '%s\n' "$pid"
}

# pidfile_alive FILE [PATTERN]: print the pid and succeed if FILE names a live process.
pidfile_alive() {
    local file=$1 pattern=${2:-} pid
    pid=$(read_pidfile "$file") || return 1
    pid_alive "$pid" "$pattern" || return 1
    printf '%s\n' "$pid"
}

# Deadlines in milliseconds from the wall clock ($SECONDS only ticks whole
# seconds, which would cut a "10 s" grace period to as little as 9 s).
now_ms() {
    local t=${EPOCHREALTIME/[.,]/}
    printf '%s\n' $((10#$t / 1000))
}
deadline_after() { printf '%s\n' $(($(now_ms) + $1 * 1000)); }
past_deadline()  { (($(now_ms) >= $1)); }

# wait_for TIMEOUT_S DESCRIPTION WATCH_PID CMD...: poll CMD every 0.5 s until it
# succeeds. Returns 1 on timeout, 2 early if WATCH_PID (may be "") has exited,
# so a crashed process does not make us sit out the whole timeout.
wait_for() {
    local timeout=$1 what=$2 watch_pid=$3; shift 3
    local deadline; deadline=$(deadline_after "$timeout")
    while true; do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        if [[ -n "$watch_pid" ]] && ! pid_alive "$watch_pid"; then
            fail "$what: process $watch_pid exited while waiting"
            return 2
        fi
        if past_deadline "$deadline"; then
            fail "$what: not ready after ${timeout}s"
            return 1
        fi
        sleep 0.5
    done
}

# port_in_use PORT: true if something listens on TCP PORT (any address).
port_in_use() {
    local port=$1
    [[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]]
}

# port_owner PORT: describe the listener(s) on PORT (process names need root).
port_owner() {
    local port=$1 out
    out=$(ss -Hltnp "sport = :$port" 2>/dev/null | awk '{ $1=$2=$3=""; print }' | sed 's/^ *//')
    printf '%s\n' "${out:-unknown process}"
}

# require_free_port PORT WHAT: exit 1 if PORT is taken. Only called when our own
# pidfile says we are not running, so the listener is somebody else's.
require_free_port() {
    local port=$1 what=$2
    if port_in_use "$port"; then
        fail "port $port (needed by $what) is already in use by a process this stack did not start:"
        printf '    %s\n' "$(port_owner "$port")" >&2
        fail "stop that process or choose another port (see deploy/env.sh), then retry"
        exit 1
    fi
}

# stop_pid NAME PID PATTERN TIMEOUT_S: SIGTERM, wait up to TIMEOUT_S, then SIGKILL.
stop_pid() {
    local name=$1 pid=$2 pattern=$3 timeout=$4
    pid_alive "$pid" "$pattern" || return 0
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline; deadline=$(deadline_after "$timeout")
    while pid_alive "$pid" "$pattern"; do
        if past_deadline "$deadline"; then
            warn "$name (pid $pid) still running after ${timeout}s: sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            wait_gone "$pid" 5 || { fail "$name (pid $pid) survived SIGKILL"; return 1; }
            break
        fi
        sleep 0.2
    done
    return 0
}

# wait_gone PID TIMEOUT_S: wait until PID no longer runs (zombies count as gone).
wait_gone() {
    local pid=$1 timeout=$2
    local deadline; deadline=$(deadline_after "$timeout")
    while pid_alive "$pid"; do
        past_deadline "$deadline" && return 1
        sleep 0.1
    done
    return 0
}

# spawn LOGFILE PIDFILE CMD...: start CMD in the background, detached from the
# terminal (nohup, stdin from /dev/null), output appended to LOGFILE, pid written
# to PIDFILE. fd 9 (the stack lock) is closed so daemons do not hold the lock.
spawn() {
    local logfile=$1 pidfile=$2; shift 2
    printf '\n===== %s starting: %s =====\n' "$(date '+%Y-%m-%d %H:%M:%S')" "$*" >>"$logfile"
    nohup "$@" >>"$logfile" 2>&1 </dev/null 9>&- &
    local pid=$!
    printf '%s\n' "$pid" >"$pidfile"
    # Until the forked child execs nohup, its command line is this script's, so a
    # pidfile_alive PATTERN check would wrongly call it dead. Wait for the exec
    # (bounded; an early exit also ends the wait).
    local self i
    self=$(tr '\0' ' ' <"/proc/$$/cmdline")
    for ((i = 0; i < 200; i++)); do
        [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" == "$self" ]] || break
        sleep 0.01
    done
    # shellcheck disable=SC2034  # read by the caller
    SPAWNED_PID=$pid
}

# redact_url URL: the URL with its password replaced by ***, for messages.
redact_url() {
    sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#' <<<"$1"
}
