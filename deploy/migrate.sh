#!/usr/bin/env bash
# Apply deploy/migrations/*.sql to $DATABASE_URL in lexical order, once each.
# Each file runs in one transaction together with its schema_migrations row,
# so a failing migration leaves no trace and is retried next time.
# Migration files must not contain BEGIN/COMMIT themselves.
set -euo pipefail

source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/env.sh"
LOG_TAG=migrate
source "$DEPLOY_DIR/lib.sh"

MIGRATIONS_DIR="${MIGRATIONS_DIR:-$DEPLOY_DIR/migrations}"

# psql against the application database: no ~/.psqlrc, stop at the first error.
db_psql() {
    psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 "$@"
}

main() {
    command -v psql >/dev/null 2>&1 || die "psql not found: run deploy/install-deps.sh"

    local out
    if ! out=$(db_psql -c 'CREATE TABLE IF NOT EXISTS schema_migrations (
                               version    text PRIMARY KEY,
                               applied_at timestamptz NOT NULL DEFAULT now())' 2>&1); then
        die "cannot reach the database at $(redact_url "$DATABASE_URL"): $out"
    fi

    local -A applied=()
    local v
    while IFS= read -r v; do
        [[ -n "$v" ]] && applied["$v"]=1
    done < <(db_psql -At -c 'SELECT version FROM schema_migrations')

    local file version count=0
    # Byte order (LC_ALL=C), not the locale's: 001_x before 010_y before A_z, everywhere.
    local -a files
    mapfile -t files < <(find "$MIGRATIONS_DIR" -maxdepth 1 -type f -name '*.sql' | LC_ALL=C sort)
    for file in "${files[@]}"; do
        version=$(basename "$file" .sql)
        # The version is spliced into SQL below: allow only safe characters.
        [[ "$version" =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad migration file name: $file"
        [[ -n "${applied[$version]:-}" ]] && continue

        log "applying $version"
        if ! out=$(db_psql --single-transaction \
                       -f "$file" \
                       -c "INSERT INTO schema_migrations (version) VALUES ('$version')" 2>&1); then
            fail "migration $version failed (rolled back):"
            printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /' >&2
            exit 1
        fi
        [[ -n "$out" ]] && printf '%s\n' "$out" | sed 's/^/    /'
        count=$((count + 1))
    done

    if ((count == 0)); then
        log "database is up to date (${#files[@]} migration(s), none pending)"
    else
        log "applied $count migration(s)"
    fi
}

main "$@"
