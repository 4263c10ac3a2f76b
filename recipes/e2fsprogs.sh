# e2fsprogs: libext2fs/libcom_err/libe2p for init, and the ext2/3/4 tools, against
# util-linux's libblkid/libuuid (e2fsprogs' private copies do not build on musl).
INPUTS="recipes/lib.sh"
PINS="e2fsprogs"
DEPS="zig util-linux"
build() {
  fetch_debian e2fsprogs
  # --sysconfdir: the programs look for /etc/e2fsck.conf and /etc/mke2fs.conf in the image
  # (absent: built-in defaults), not under the cache path (which also made builds differ).
  ./configure --host=x86_64-linux-musl --prefix="$PREFIX" --sysconfdir=/etc \
    --disable-libuuid --disable-libblkid --disable-fsck --disable-elf-shlibs \
    --disable-nls --disable-uuidd --disable-e2initrd-helper --disable-fuse2fs \
    --disable-tdb --disable-debugfs-readline --without-libarchive --disable-imager \
    --disable-defrag --disable-testio-debug
  make -j"$JOBS" RDYNAMIC= libs
  make -j"$JOBS" RDYNAMIC= -C e2fsck e2fsck
  make -j"$JOBS" RDYNAMIC= -C misc mke2fs tune2fs dumpe2fs
  make -j"$JOBS" RDYNAMIC= -C debugfs debugfs
  make -j"$JOBS" RDYNAMIC= -C resize resize2fs
  make install-libs
  strip_into "$PREFIX/sbin" e2fsck/e2fsck misc/mke2fs misc/tune2fs misc/dumpe2fs debugfs/debugfs resize/resize2fs
  rm -rf "$PREFIX/share"
}
