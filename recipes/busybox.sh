# BusyBox: the shell and the small tools, from the committed recipes/busybox.config
# (defconfig + static, no init/linuxrc (our /init is PID 1), no applets that shadow
# e2fsprogs' mke2fs/tune2fs, no tc and no SHA hw-accel asm (they do not build with zig)).
INPUTS="recipes/lib.sh recipes/busybox.config"
PINS="busybox"
DEPS="zig"
build() {
  fetch_debian busybox
  cp "$TOP/recipes/busybox.config" .config
  local mk=(CROSS_COMPILE=x86_64-linux-musl- CC=x86_64-linux-musl-gcc HOSTCC=gcc
            CONFIG_EXTRA_CFLAGS= SKIP_STRIP=y KCONFIG_NOTIMESTAMP=1)
  { yes "" || true; } | make "${mk[@]}" oldconfig >/dev/null  # yes dies of SIGPIPE
  make -j"$JOBS" "${mk[@]}" busybox
  strip_into "$PREFIX/bin" busybox
  ./busybox --list-full >"$PREFIX/applets"
}
