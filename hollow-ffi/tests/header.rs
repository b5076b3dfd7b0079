//! The committed C header must be exactly what the pinned cbindgen generates from the current source.
//! Regenerate it with `HOLLOW_BLESS_HEADER=1 cargo test -p hollow-ffi --test header`.

use std::path::Path;

#[test]
fn committed_header_is_up_to_date() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let header_path = crate_dir.join("../include/hollow.h");
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).expect("UTF-8 header");

    if std::env::var_os("HOLLOW_BLESS_HEADER").is_some() {
        std::fs::write(&header_path, &generated).expect("write include/hollow.h");
        return;
    }
    let committed = std::fs::read_to_string(&header_path).unwrap_or_default();
    if committed != generated {
        let first_difference = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "include/hollow.h is stale (first difference at line {}). Regenerate it with\n  \
             HOLLOW_BLESS_HEADER=1 cargo test -p hollow-ffi --test header\nand commit the result.",
            first_difference + 1
        );
    }
}
