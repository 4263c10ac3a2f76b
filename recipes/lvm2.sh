# lvm2: `lvm` (vgscan, vgchange, lvs, ... in one binary) and `dmsetup`, static, with no udev,
# no daemons, no readline and no SELinux. See recipes/patches/lvm2/ for the two musl fixes.
# The rescue system's lvm.conf comes from rootfs/etc/lvm/lvm.conf.
INPUTS="recipes/lib.sh"
PINS="lvm2"
DEPS="zig libaio util-linux"
build() {
  fetch_debian lvm2
  apply_patches lvm2
  # zig's musl hides the LFS aliases (lseek64, off64_t, ...) without _LARGEFILE64_SOURCE.
  CFLAGS="$CFLAGS -D_LARGEFILE64_SOURCE" \
  ./configure --host=x86_64-linux-musl --prefix=/usr --sbindir=/sbin --with-confdir=/etc \
    --enable-static_link --disable-shared --disable-readline --disable-selinux \
    --disable-udev_sync --disable-udev_rules --disable-dmeventd --disable-cmdlib \
    --disable-use-lvmlockd --disable-use-lvmpolld --disable-systemd-journal \
    --disable-app-machineid --disable-notify-dbus --disable-blkid_wiping \
    --disable-fsadm --disable-lvmimportvdo --disable-blkdeactivate --disable-nls \
    --with-thin-check= --with-thin-dump= --with-thin-repair= --with-thin-restore= \
    --with-cache-check= --with-cache-dump= --with-cache-repair= --with-cache-restore= \
    --with-vdo=none --with-vdo-format= \
    --with-default-run-dir=/run/lvm --with-default-locking-dir=/run/lock/lvm \
    --with-default-pid-dir=/run --with-default-dm-run-dir=/run
  make -j"$JOBS" -C libdm
  make -j"$JOBS" -C lib
  make -j"$JOBS" -C libdaemon
  make -j"$JOBS" device_mapper/libdevice-mapper.a base/libbase.a  # rules in the top Makefile
  make -j"$JOBS" -C tools lvm.static
  make -j"$JOBS" -C libdm/dm-tools dmsetup.static
  strip_into "$PREFIX/sbin" tools/lvm.static libdm/dm-tools/dmsetup.static
  mv "$PREFIX/sbin/lvm.static" "$PREFIX/sbin/lvm"
  mv "$PREFIX/sbin/dmsetup.static" "$PREFIX/sbin/dmsetup"
  # libdevmapper for cryptsetup
  install -Dm0644 libdm/ioctl/libdevmapper.a "$PREFIX/lib/libdevmapper.a"
  install -Dm0644 libdm/libdevmapper.h "$PREFIX/include/libdevmapper.h"
  sed -e "s|^prefix=.*|prefix=$PREFIX|" libdm/libdevmapper.pc |
    install -Dm0644 /dev/stdin "$PREFIX/lib/pkgconfig/devmapper.pc"
}
