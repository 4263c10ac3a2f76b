# btrfs-progs: `btrfs` (check --readonly, restore, subvolume list, ...), static; mkfs.btrfs
# is built too but only the fixture maker uses it (it is not copied into the image).
INPUTS="recipes/lib.sh"
PINS="btrfs-progs"
DEPS="zig util-linux zlib lzo2 libzstd"
build() {
  fetch_debian btrfs-progs
  apply_patches btrfs-progs
  ./autogen.sh >/dev/null  # the shipped configure wants include/config.h.in, which only autoheader makes
  # The Makefile ignores CPPFLAGS (libuuid's headers are under the util-linux prefix).
  export CFLAGS="$CFLAGS -D_LARGEFILE64_SOURCE $CPPFLAGS"
  ./configure --host=x86_64-linux-musl --prefix=/usr --disable-documentation \
    --disable-convert --disable-python --disable-libudev --disable-backtrace \
    --disable-zoned --disable-shared --enable-static --with-crypto=builtin
  make -j"$JOBS" V=1 btrfs.static mkfs.btrfs.static
  strip_into "$PREFIX/sbin" btrfs.static mkfs.btrfs.static
  mv "$PREFIX/sbin/btrfs.static" "$PREFIX/sbin/btrfs"
  mv "$PREFIX/sbin/mkfs.btrfs.static" "$PREFIX/sbin/mkfs.btrfs"
}
