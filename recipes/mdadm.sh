# mdadm: assemble (read-only by default) and inspect md RAID arrays. Static, no libudev,
# no corosync/dlm (set explicitly: the Makefile would look at the host's /usr/include).
INPUTS="recipes/lib.sh"
PINS="mdadm"
DEPS="zig"
build() {
  fetch_debian mdadm
  make -j"$JOBS" mdadm CC="$CC" CXFLAGS="-O2 -DNO_LIBUDEV -D_LARGEFILE64_SOURCE" \
    CWFLAGS="-Wall -Wno-unused-parameter" COROSYNC=-DNO_COROSYNC DLM=-DNO_DLM \
    LDFLAGS="$LDFLAGS" LDLIBS= RUN_DIR=/run/mdadm MAP_DIR=/run/mdadm \
    CHECK_RUN_DIR=0 MAILCMD=/bin/false
  strip_into "$PREFIX/sbin" mdadm
}
