# Sourced by .ci/test.sh and .ci/demo.sh: makes `cargo` (with rustfmt and clippy) available on a machine
# that has no Rust toolchain yet, through rustup's official installer into ~/.cargo, and puts it on PATH
# for the rest of the calling script, with the C compiler rustc links with. Does nothing where they are
# already there.

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
    echo "== installing Rust (stable, with rustfmt and clippy) through rustup into $HOME/.cargo"
    if ! command -v curl >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl ca-certificates >/dev/null
    fi
    # rustup-init from static.rust-lang.org, which sh.rustup.rs's script itself downloads.
    # (rustup-init acts by its file name, so it keeps it.)
    rustup_dir=$(mktemp -d)
    curl --proto '=https' --tlsv1.2 -sSf -o "$rustup_dir/rustup-init" \
        "https://static.rust-lang.org/rustup/dist/$(uname -m)-unknown-linux-gnu/rustup-init"
    chmod +x "$rustup_dir/rustup-init"
    "$rustup_dir/rustup-init" -y --quiet --no-modify-path --profile minimal --component rustfmt,clippy
    rm -rf "$rustup_dir"
    export PATH="$HOME/.cargo/bin:$PATH"
elif command -v rustup >/dev/null 2>&1 && ! { cargo fmt --version && cargo clippy --version; } >/dev/null 2>&1; then
    echo "== adding rustfmt and clippy to the Rust toolchain"
    rustup component add rustfmt clippy
fi
# rustc links through the system's C compiler.
if ! command -v cc >/dev/null 2>&1; then
    echo "== installing gcc (rustc's linker)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev >/dev/null
fi
