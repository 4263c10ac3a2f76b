# zlib: btrfs-progs needs it (and `btrfs restore` of zlib-compressed extents).
INPUTS="recipes/lib.sh"
PINS="zlib"
DEPS="zig"
build() {
  fetch_debian zlib
  CHOST=x86_64-linux-musl ./configure --static --prefix="$PREFIX"
  make -j"$JOBS" libz.a
  make install-libs install-headers 2>/dev/null || {
    install -Dm0644 libz.a "$PREFIX/lib/libz.a"
    install -Dm0644 zlib.h "$PREFIX/include/zlib.h"; install -Dm0644 zconf.h "$PREFIX/include/zconf.h"
    install -Dm0644 zlib.pc "$PREFIX/lib/pkgconfig/zlib.pc"; }
  rm -rf "$PREFIX/share"
}
