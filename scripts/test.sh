#!/usr/bin/env bash
# The whole test suite: formatting, lints, every test in the workspace (unit,
# integration, the command end to end, 200 SIGKILL crash rounds), then the generated
# bindings: Python and Kotlin (JVM) tests against the real library. `.ci/run` calls
# this.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "==> cargo test --workspace"
cargo test --workspace --locked
echo "==> bindings (Kotlin, Swift, Python)"
bash bindings/test.sh
