# util-linux: only the libraries (libblkid, libmount, libuuid), static, for init and e2fsprogs.
INPUTS="recipes/lib.sh"
PINS="util-linux"
DEPS="zig"
build() {
  fetch_debian util-linux
  GTKDOCIZE=true autoreconf -fi >/dev/null  # Debian's patches touch configure.ac; no API docs
  ./configure --host=x86_64-linux-musl --prefix="$PREFIX" \
    --disable-all-programs --enable-libblkid --enable-libmount --enable-libuuid \
    --disable-shared --enable-static --disable-nls --disable-bash-completion \
    --without-selinux --without-audit --without-udev --without-systemd --without-python \
    --without-readline --without-ncursesw --without-ncurses --without-tinfo \
    --without-cap-ng --without-btrfs --without-libz --without-user --disable-pylibmount \
    --disable-asciidoc --disable-poman
  make -j"$JOBS"
  make install
  rm -rf "$PREFIX/share" "$PREFIX/sbin" "$PREFIX/bin"
}
