# libyaml: the YAML parser init uses for NoCloud's meta-data, user-data and network-config.
INPUTS="recipes/lib.sh"
PINS="libyaml"
DEPS="zig"
build() {
  fetch_debian libyaml
  [ -x configure ] || autoreconf -fi >/dev/null
  ./configure --host=x86_64-linux-musl --prefix="$PREFIX" --disable-shared --enable-static
  make -j"$JOBS" -C src
  make -C src install
  make install-data 2>/dev/null || install -Dm0644 include/yaml.h "$PREFIX/include/yaml.h"
  rm -rf "$PREFIX/share"
}
