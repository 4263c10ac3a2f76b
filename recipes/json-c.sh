# json-c: LUKS2 metadata parsing for cryptsetup.
INPUTS="recipes/lib.sh"
PINS="json-c"
DEPS="zig"
build() {
  fetch_debian json-c
  cmake -S . -B build -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_C_COMPILER="$CC" \
    -DCMAKE_AR="$(command -v "$AR")" -DCMAKE_RANLIB="$(command -v "$RANLIB")" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_INSTALL_LIBDIR=lib \
    -DBUILD_SHARED_LIBS=OFF -DBUILD_STATIC_LIBS=ON -DBUILD_TESTING=OFF -DBUILD_APPS=OFF \
    -DDISABLE_EXTRA_LIBS=ON -DDISABLE_WERROR=ON -DENABLE_THREADING=OFF
  cmake --build build -j"$JOBS"
  cmake --install build
}
