# dosfstools: fsck.vfat (check with -n, repair with -a) and mkfs.vfat, for EFI system
# partitions and vfat data disks.
INPUTS="recipes/lib.sh"
PINS="dosfstools"
DEPS="zig"
build() {
  fetch_debian dosfstools
  [ -x configure ] || autoreconf -fi >/dev/null
  ./configure --host=x86_64-linux-musl --prefix=/usr --disable-compat-symlinks --without-udev
  make -j"$JOBS" -C src fsck.fat mkfs.fat fatlabel
  strip_into "$PREFIX/sbin" src/fsck.fat src/mkfs.fat src/fatlabel
}
