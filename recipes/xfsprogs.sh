# xfsprogs: xfs_repair, xfs_db, mkfs.xfs and the xfs_info/xfs_admin scripts.
# Built without libinih: see recipes/patches/xfsprogs/0001-build-without-libinih.patch.
INPUTS="recipes/lib.sh"
PINS="xfsprogs"
DEPS="zig util-linux liburcu"
build() {
  fetch_debian xfsprogs
  apply_patches xfsprogs
  # configure insists on libinih: say it is there, and let its `-linih` resolve to an
  # empty archive (the one caller is stubbed by our patch).
  mkdir -p noinih && x86_64-linux-musl-ar rc noinih/libinih.a
  export LDFLAGS="$LDFLAGS -L$PWD/noinih"
  # xfsprogs ignores CPPFLAGS; zig's musl hides off64_t without _LARGEFILE64_SOURCE.
  CFLAGS="$CFLAGS -D_LARGEFILE64_SOURCE $CPPFLAGS" \
  ac_cv_header_ini_h=yes ac_cv_lib_inih_ini_parse=yes \
  ./configure --host=x86_64-linux-musl --prefix=/usr --disable-shared --enable-static \
    --enable-gettext=no --enable-libicu=no --enable-editline=no --enable-lto=no \
    --enable-scrub=no BUILD_CC=gcc
  local mk=(DEBUG=-DNDEBUG OPTIMIZER=-O2 MAKEDEPEND=true LIBINIH= V=1)
  make "${mk[@]}" headers  # populates include/xfs
  make -j"$JOBS" "${mk[@]}" repair db mkfs  # the Makefile orders the libraries they need
  strip_into "$PREFIX/sbin" repair/xfs_repair db/xfs_db mkfs/mkfs.xfs
  install -m 0755 spaceman/xfs_info.sh "$PREFIX/sbin/xfs_info"
  install -m 0755 db/xfs_admin.sh "$PREFIX/sbin/xfs_admin"
}
