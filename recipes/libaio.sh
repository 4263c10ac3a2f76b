# libaio: Linux AIO, which lvm2 links against (its I/O layer, bcache).
INPUTS="recipes/lib.sh"
PINS="libaio"
DEPS="zig"
build() {
  fetch_debian libaio
  make -C src -j"$JOBS" ENABLE_SHARED=0 libaio.a
  install -Dm0644 src/libaio.a "$PREFIX/lib/libaio.a"
  install -Dm0644 src/libaio.h "$PREFIX/include/libaio.h"
}
