# liburcu: userspace RCU, needed by xfsprogs (xfs_repair).
INPUTS="recipes/lib.sh"
PINS="liburcu"
DEPS="zig"
build() {
  fetch_debian liburcu
  autoreconf -fi >/dev/null  # Debian's patch touches Makefile.am
  ./configure --host=x86_64-linux-musl --prefix="$PREFIX" --disable-shared --enable-static
  make -j"$JOBS"
  make install
  rm -rf "$PREFIX/share"
}
