# lzo2: `btrfs restore` of lzo-compressed extents.
INPUTS="recipes/lib.sh"
PINS="lzo2"
DEPS="zig"
build() {
  fetch_debian lzo2
  ./configure --host=x86_64-linux-musl --prefix="$PREFIX" --disable-shared --enable-static
  make -j"$JOBS" src/liblzo2.la
  make install-libLTLIBRARIES install-pkgincludeHEADERS install-pkgconfigDATA
  rm -rf "$PREFIX/share"
}
