#!/usr/bin/env bash
# The whole test suite: formatting, lints, every test in the workspace (unit,
# integration, the command end to end, 200 SIGKILL crash rounds, the server on SQLite
# and PostgreSQL), then the generated
# bindings: Python and Kotlin (JVM) tests against the real library. `.ci/run` calls
# this.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
# The server tests run on the embedded store and on PostgreSQL: a throwaway PostgreSQL
# on 127.0.0.1 when one is installed and none is given in SAFEKEEP_TEST_POSTGRES.
if [[ -z ${SAFEKEEP_TEST_POSTGRES:-} ]]; then
    pg_dir="$(mktemp -d)"
    if SAFEKEEP_TEST_POSTGRES="$(bash scripts/postgres.sh start "$pg_dir")"; then
        export SAFEKEEP_TEST_POSTGRES
        trap 'bash scripts/postgres.sh stop "$pg_dir"' EXIT
        if [[ -f $pg_dir/tls/ca.pem ]]; then
            export SAFEKEEP_TEST_POSTGRES_CA="$pg_dir/tls/ca.pem"
        fi
        echo "==> PostgreSQL for the server tests at $SAFEKEEP_TEST_POSTGRES"
    else
        rm -rf "$pg_dir"
        unset SAFEKEEP_TEST_POSTGRES
        if [[ ${SAFEKEEP_REQUIRE_POSTGRES:-0} == 1 ]]; then
            echo "PostgreSQL is required here but could not be started" >&2
            exit 1
        fi
        echo "==> no PostgreSQL: the server tests run on the embedded store only (they say so)"
    fi
fi
echo "==> cargo test --workspace"
cargo test --workspace --locked
echo "==> bindings (Kotlin, Swift, Python)"
bash bindings/test.sh
