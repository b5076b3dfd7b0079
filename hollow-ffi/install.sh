#!/usr/bin/env bash
# Install libhollow (shared and static), its headers and a pkg-config file under PREFIX.
#
#   hollow-ffi/install.sh PREFIX
#
# Builds the library first with the `dist` profile (cargo build --profile dist -p hollow-ffi: stripped,
# no debug info, LTO; PROFILE=release for the profiling build), then installs:
#   PREFIX/lib/libhollow.so.X.Y.Z, libhollow.so.X -> (the SONAME), libhollow.so -> (for -lhollow)
#   PREFIX/lib/libhollow.a
#   PREFIX/include/hollow.h, PREFIX/include/hollow.hpp (C++ wrappers)
#   PREFIX/lib/pkgconfig/hollow.pc
#
# Environment: PROFILE (default dist); LIBDIR, INCLUDEDIR (default PREFIX/lib, PREFIX/include); DESTDIR (staged installs);
# CARGO_TARGET_DIR as for cargo; HOLLOW_SKIP_BUILD=1 with HOLLOW_LIB_DIR=DIR to install libraries that are
# already built in DIR.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 PREFIX" >&2
    exit 2
fi
prefix=$1
root=$(cd "$(dirname "$0")/.." && pwd)
libdir=${LIBDIR:-$prefix/lib}
includedir=${INCLUDEDIR:-$prefix/include}
destdir=${DESTDIR:-}

version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)
major=${version%%.*}
if [ -z "$version" ]; then
    echo "cannot read the version from $root/Cargo.toml" >&2
    exit 1
fi

if [ "${HOLLOW_SKIP_BUILD:-0}" != 1 ]; then
    profile=${PROFILE:-dist}
    (cd "$root" && cargo build --profile "$profile" -p hollow-ffi)
    # Cargo names the dev profile's directory `debug`.
    built=${CARGO_TARGET_DIR:-$root/target}/$([ "$profile" = dev ] && echo debug || echo "$profile")
else
    built=${HOLLOW_LIB_DIR:?HOLLOW_SKIP_BUILD=1 needs HOLLOW_LIB_DIR, the directory holding libhollow.so and libhollow.a}
fi
for f in libhollow.so libhollow.a; do
    [ -f "$built/$f" ] || { echo "$built/$f is missing" >&2; exit 1; }
done

install -d "$destdir$libdir/pkgconfig" "$destdir$includedir"
install -m 0755 "$built/libhollow.so" "$destdir$libdir/libhollow.so.$version"
ln -sf "libhollow.so.$version" "$destdir$libdir/libhollow.so.$major"
ln -sf "libhollow.so.$major" "$destdir$libdir/libhollow.so"
install -m 0644 "$built/libhollow.a" "$destdir$libdir/libhollow.a"
install -m 0644 "$root/include/hollow.h" "$destdir$includedir/hollow.h"
install -m 0644 "$root/bindings/cpp/hollow.hpp" "$destdir$includedir/hollow.hpp"
# The libraries Rust's standard library needs when libhollow.a is linked statically (Linux).
native_libs="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
sed -e "s|@PREFIX@|$prefix|" -e "s|@LIBDIR@|$libdir|" -e "s|@INCLUDEDIR@|$includedir|" \
    -e "s|@VERSION@|$version|" -e "s|@NATIVE_LIBS@|$native_libs|" \
    "$root/hollow-ffi/hollow.pc.in" > "$destdir$libdir/pkgconfig/hollow.pc"
echo "installed libhollow $version under $destdir$prefix"
# Outside the directories the compiler and the dynamic loader search by default, say how to use it.
case "$libdir" in
    /usr/lib | /usr/lib64 | /usr/local/lib | /usr/lib/*-linux-gnu) ;;
    *)
        echo "to build:  PKG_CONFIG_PATH=$libdir/pkgconfig cc app.c \$(pkg-config --cflags --libs hollow)"
        echo "to run:    LD_LIBRARY_PATH=$libdir ./app, or link with -Wl,-rpath,$libdir"
        ;;
esac
