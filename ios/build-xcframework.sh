#!/usr/bin/env bash
# Builds SafekeepFFI.xcframework and generates Sources/Safekeep/Safekeep.swift.
# Run on macOS with Xcode and rustup:
#   rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios
#   ios/build-xcframework.sh            # then: swift test (macOS) or open Package.swift in Xcode
# There is no Swift compiler on the Linux machines this repository is tested on; this
# script has not been run there.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
for target in "${targets[@]}"; do
    cargo build --release --locked -p safekeep-ffi --target "$target"
done
# The host build carries the same metadata; the bindgen reads it.
cargo build --release --locked -p safekeep-ffi -p uniffi-bindgen
host_lib="target/release/libsafekeep_ffi.dylib"

gen="$(mktemp -d)"
target/release/uniffi-bindgen generate --library "$host_lib" --language swift --out-dir "$gen"
cp "$gen/Safekeep.swift" "$here/Sources/Safekeep/Safekeep.swift"

headers="$(mktemp -d)"
cp "$gen/SafekeepFFI.h" "$headers/"
# The module map must be called module.modulemap inside an xcframework's headers.
cp "$gen/SafekeepFFI.modulemap" "$headers/module.modulemap"

# One slice for devices, one fat slice for both simulators.
sim="target/ios-sim-universal/release"
mkdir -p "$sim"
lipo -create \
    target/aarch64-apple-ios-sim/release/libsafekeep_ffi.a \
    target/x86_64-apple-ios/release/libsafekeep_ffi.a \
    -output "$sim/libsafekeep_ffi.a"

rm -rf "$here/SafekeepFFI.xcframework"
xcodebuild -create-xcframework \
    -library target/aarch64-apple-ios/release/libsafekeep_ffi.a -headers "$headers" \
    -library "$sim/libsafekeep_ffi.a" -headers "$headers" \
    -output "$here/SafekeepFFI.xcframework"
echo "built $here/SafekeepFFI.xcframework and Sources/Safekeep/Safekeep.swift"
