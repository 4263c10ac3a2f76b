# Kernel: Debian's linux-source-6.1 (the pinned .deb, fetched into the cache),
# allnoconfig + kernel-config/lifeboat.config.
INPUTS="kernel-config/lifeboat.config recipes/lib.sh"
PINS="linux-source-6.1"
DEPS=""
setup_env() { :; }  # host gcc, not the musl toolchain
build() {
  kernel_source --strip-components=1
  export ARCH=x86_64 KBUILD_BUILD_TIMESTAMP="@${SOURCE_DATE_EPOCH}" KBUILD_BUILD_USER=lifeboat KBUILD_BUILD_HOST=lifeboat
  local frag="$TOP/kernel-config/lifeboat.config"
  KCONFIG_ALLCONFIG= scripts/kconfig/merge_config.sh -n "$frag" >merge.log 2>&1 || { tail -20 merge.log; die "kernel: merge_config failed"; }
  local missing; missing=$(grep -E '^CONFIG_[A-Z0-9_]+=y' "$frag" | while read -r l; do grep -qx "$l" .config || echo "${l%=y}"; done)
  [ -z "$missing" ] || warn "kernel: options in the fragment that Kconfig dropped: $(echo $missing)"
  make -j"$JOBS" bzImage >build.log 2>&1 || { tail -30 build.log; die "kernel: make bzImage failed"; }
  mkdir -p "$PREFIX"
  cp arch/x86/boot/bzImage "$PREFIX/vmlinuz"
  cp .config "$PREFIX/config"
  make -s kernelrelease >"$PREFIX/release"
}
