#!/usr/bin/env bash
# Runs the fuzz targets (fuzz/, cargo-fuzz) for SECONDS each (default 30).
#   scripts/fuzz.sh          a short run, as CI does
#   scripts/fuzz.sh 3600     a long run (an hour a target)
# Needs cargo-fuzz (installed here if missing). cargo-fuzz uses nightly-only compiler
# flags; on a stable toolchain RUSTC_BOOTSTRAP=1 allows them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-30}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
cd fuzz
mkdir -p corpus/expr corpus/form_load corpus/bundle
# Seeds: expressions from the built-in forms and the JSON forms themselves.
for f in ../core/forms/*.json; do
    [ -e "$f" ] && cp "$f" "corpus/form_load/$(basename "$f")"
done
printf '%s' "\${age} < 18 and selected(\${indicators}, 'debt')" > corpus/expr/minor
printf '%s' "if(\${x} != '', concat(\${x}, ' ', today()), coalesce(\${y}, 'z'))" > corpus/expr/if
printf 'SKBD' > corpus/bundle/magic
for target in expr form_load bundle; do
    echo "==> fuzzing $target for ${seconds}s"
    cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -rss_limit_mb=2048
done
