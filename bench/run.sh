#!/usr/bin/env bash
# Safekeep benchmarks: the SQLCipher baseline, then the main vault bench.
#
# usage: bench/run.sh [--smoke]
#
#   (a) builds and runs bench/sqlcipher-baseline (its own cargo workspace,
#       because rusqlite's `bundled` and `bundled-sqlcipher` features cannot
#       share one build) and writes target/bench/sqlcipher.json;
#   (b) runs `cargo bench -p safekeep-core --bench vault`, which reads that
#       file through SAFEKEEP_SQLCIPHER_RESULTS.
#
#   --smoke   small sizes (2000 records, 100 single commits) for a quick check.
#
# The baseline links the system OpenSSL libcrypto: on Debian/Ubuntu install it
# with `apt-get install -y libssl-dev pkg-config`.
set -euo pipefail

usage() { sed -n '4,15p' "$0" | sed 's/^# \{0,1\}//'; }

records=100000
single=1000
for arg in "$@"; do
    case "$arg" in
        --smoke) records=2000; single=100 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench/run.sh: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
    esac
done

# Work from the repository root, wherever the script is called from.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# SQLCipher is compiled against the system libcrypto headers and library.
have_libcrypto() {
    [[ -n "${OPENSSL_DIR:-}" || -n "${OPENSSL_INCLUDE_DIR:-}" ]] && return 0
    command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libcrypto && return 0
    command -v dpkg-query >/dev/null 2>&1 \
        && [[ "$(dpkg-query -W -f='${Status}' libssl-dev 2>/dev/null)" == "install ok installed" ]] \
        && return 0
    return 1
}
if ! have_libcrypto; then
    {
        echo "bench/run.sh: OpenSSL development files (libcrypto) not found."
        echo "The SQLCipher baseline compiles against the system libcrypto. Install it first:"
        echo "    apt-get install -y libssl-dev pkg-config"
        echo "(or point OPENSSL_DIR at an OpenSSL installation) and run bench/run.sh again."
    } >&2
    exit 1
fi

results_dir="$root/target/bench"
results="$results_dir/sqlcipher.json"
mkdir -p "$results_dir"

echo "==> SQLCipher baseline: $records records, $single single commits"
cargo run --release --manifest-path bench/sqlcipher-baseline/Cargo.toml -- \
    --records "$records" --single "$single" --out "$results"

echo "==> Safekeep vault bench (SQLCipher figures from $results)"
SAFEKEEP_SQLCIPHER_RESULTS="$results" \
SAFEKEEP_BENCH_RECORDS="$records" \
SAFEKEEP_BENCH_SINGLE="$single" \
    cargo bench -p safekeep-core --bench vault
