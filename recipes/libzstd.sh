# libzstd: `btrfs restore` of zstd-compressed extents (Fedora mounts with compress=zstd:1).
INPUTS="recipes/lib.sh"
PINS="libzstd"
DEPS="zig"
build() {
  fetch_debian libzstd
  local mk=(PREFIX="$PREFIX" LIBDIR="$PREFIX/lib" INCLUDEDIR="$PREFIX/include" CC="$CC" AR="$AR"
            ZSTD_LEGACY_SUPPORT=0 HAVE_PTHREAD=0)
  make -j"$JOBS" -C lib "${mk[@]}" libzstd.a
  make -C lib "${mk[@]}" install-static install-includes install-pc
}
