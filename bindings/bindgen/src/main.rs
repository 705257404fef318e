//! `uniffi-bindgen`, pinned to the workspace's UniFFI version, so that nobody installs a
//! bindings generator by hand and the generator always matches the scaffolding compiled into
//! `libobauth_ffi`:
//!
//! ```sh
//! cargo run -p obauth-uniffi-bindgen --bin uniffi-bindgen -- generate \
//!     --library target/debug/libobauth_ffi.so --language kotlin --out-dir target/bindings/kotlin
//! ```
//!
//! Always generate from the unstripped library (library mode reads UniFFI's metadata symbols);
//! strip afterwards. `bindings/scripts/generate.sh` does both languages.

fn main() {
    uniffi::uniffi_bindgen_main()
}
