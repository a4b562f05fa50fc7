#!/usr/bin/env bash
# Builds safekeep-ffi, generates the Kotlin, Swift and Python bindings into
# bindings/out/ (ignored by git, never committed), and runs the Python tests and the
# Kotlin tests (JVM, through JNA) against the real library (and, for online sync, a
# real server process on 127.0.0.1).
#
# Kotlin needs kotlinc and JNA: found through SAFEKEEP_KOTLINC and SAFEKEEP_JNA_JAR,
# else `kotlinc` on PATH and /usr/share/java/jna.jar (Debian: apt-get install
# libjna-java; kotlinc: `npm pack kotlin-compiler`, see .ci/run). Without them the
# Kotlin tests are skipped with a message, unless SAFEKEEP_REQUIRE_KOTLIN=1 (CI).
# Swift is generated only: no Swift compiler exists on Linux build machines here.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="bindings/out"
lib="target/debug/libsafekeep_ffi.so"

echo "==> building safekeep-ffi and uniffi-bindgen"
cargo build --locked -p safekeep-ffi -p uniffi-bindgen -p safekeep-server
rm -rf "$out"
for language in kotlin swift python; do
    target/debug/uniffi-bindgen generate --library "$lib" --language "$language" \
        --out-dir "$out/$language" --no-format >/dev/null
done
echo "    generated: $(cd "$out" && find . -type f | sort | tr '\n' ' ')"

echo "==> Python tests"
cp "$lib" "$out/python/"
PYTHONPATH="$out/python" python3 -m unittest discover -s bindings/python/tests -v

echo "==> Kotlin tests (JVM)"
kotlinc="${SAFEKEEP_KOTLINC:-$(command -v kotlinc || true)}"
jna="${SAFEKEEP_JNA_JAR:-/usr/share/java/jna.jar}"
if [[ -z "$kotlinc" || ! -f "$jna" ]]; then
    message="kotlinc or JNA not found (SAFEKEEP_KOTLINC, SAFEKEEP_JNA_JAR)"
    if [[ "${SAFEKEEP_REQUIRE_KOTLIN:-0}" == "1" ]]; then
        echo "bindings/test.sh: $message" >&2
        exit 1
    fi
    echo "    skipped: $message; .ci/run installs them"
    exit 0
fi
klib="$(cd "$(dirname "$kotlinc")/../lib" && pwd)"
coroutines="$klib/kotlinx-coroutines-core-jvm.jar"
mkdir -p "$out/classes"
bash "$kotlinc" -nowarn -cp "$jna:$coroutines" -d "$out/classes/safekeep-tests.jar" \
    $(find "$out/kotlin" -name '*.kt') \
    android/safekeep/src/main/kotlin/org/safekeep/*.kt \
    bindings/kotlin/tests/*.kt
# The online sync test starts this server itself on 127.0.0.1 and kills it.
SAFEKEEP_SERVER_BIN="$root/target/debug/safekeep-server" \
java -Djna.library.path="$root/target/debug" \
    -cp "$out/classes/safekeep-tests.jar:$klib/kotlin-stdlib.jar:$coroutines:$jna" \
    org.safekeep.tests.MainKt
