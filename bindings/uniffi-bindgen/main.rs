//! `cargo run -p uniffi-bindgen -- generate --library target/debug/libsafekeep_ffi.so
//! --language kotlin --out-dir bindings/out/kotlin` (see `bindings/test.sh`).

fn main() {
    uniffi::uniffi_bindgen_main()
}
