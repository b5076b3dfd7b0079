//! Gives the shared library a SONAME, so programs linked against `libhollow.so` record
//! `libhollow.so.<major>` and keep working across compatible upgrades (see install.sh).

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" || target_os == "freebsd" || target_os == "android" {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libhollow.so.{major}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
