# popt: command-line parsing for cryptsetup.
INPUTS="recipes/lib.sh"
PINS="popt"
DEPS="zig"
build() {
  fetch_debian popt
  ./configure --host=x86_64-linux-musl --prefix="$PREFIX" --disable-shared --enable-static \
    --disable-nls --disable-rpath
  make -j"$JOBS" -C src
  make -C src install
  install -Dm0644 popt.pc "$PREFIX/lib/pkgconfig/popt.pc"
  rm -rf "$PREFIX/share"
}
