# Helpers shared by the recipes (sourced inside each step's build subshell).
# A recipe defines INPUTS (extra files hashed into its key), DEPS (steps whose
# prefixes it builds against) and build(), run in an empty source directory with
# $PREFIX as the install destination.

# setup_env DEP...: the musl cross toolchain and the include/lib paths of DEPS.
setup_env() {
  export PATH="$STAGE_zig/bin:$PATH"
  export CC=x86_64-linux-musl-gcc CXX=x86_64-linux-musl-g++
  export AR=x86_64-linux-musl-ar RANLIB=x86_64-linux-musl-ranlib
  export STRIP=strip
  local inc="" lib="" d v
  for d in "$@"; do
    [ "$d" = zig ] && continue
    v="STAGE_${d//-/_}"
    inc="$inc -I${!v}/include"
    lib="$lib -L${!v}/lib"
    export PKG_CONFIG_PATH="${!v}/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  done
  export CPPFLAGS="${inc# }" LDFLAGS="-static${lib}"
  export CFLAGS="-O2 -ffile-prefix-map=$PWD=."
  export PKG_CONFIG_LIBDIR="${PKG_CONFIG_PATH:-/nonexistent}"
}

# fetch_debian PKG: download the pinned Debian source package (verified by apt
# against the archive's Sources index), cache it, and unpack it with Debian's
# patches applied into the current directory.
fetch_debian() {
  local pkg=$1 ver; ver=$(pin "$pkg")
  local dir="$CACHE/src/${pkg}_${ver//:/_}"
  if [ ! -f "$dir/.done" ]; then
    rm -rf "$dir"; mkdir -p "$dir"
    (cd "$dir" && apt-get source --download-only -qq "$pkg=$ver") ||
      die "$pkg: apt-get source $pkg=$ver failed: if deb-src is enabled (tools/install-deps), Debian no longer serves this version: run tools/update-pins"
    touch "$dir/.done"
  fi
  local dsc; dsc=$(ls "$dir"/*.dsc)
  rm -rf ./pkg
  dpkg-source --no-check -x "$dsc" ./pkg >/dev/null
  shopt -s dotglob; mv ./pkg/* .; rmdir ./pkg; shopt -u dotglob
}

# fetch_debian_deb PKG: download the pinned Debian binary package PKG=VERSION into the
# cache (apt-get download: verified against the archive's Packages index) and print the
# .deb's path. Whatever version of PKG the host has installed, if any, is never read.
fetch_debian_deb() {
  local pkg=$1 ver; ver=$(pin "$pkg")
  local dir="$CACHE/src/${pkg}_${ver//:/_}"
  if [ ! -f "$dir/.done" ]; then
    rm -rf "$dir"; mkdir -p "$dir"
    (cd "$dir" && apt-get download -qq "$pkg=$ver" >&2) ||
      die "$pkg: apt-get download $pkg=$ver failed: Debian no longer serves this version? run tools/update-pins"
    touch "$dir/.done"
  fi
  local deb; deb=$(ls "$dir"/*.deb 2>/dev/null | head -1)
  [ -n "$deb" ] || die "$pkg: no .deb in $dir"
  printf '%s\n' "$deb"
}

# kernel_source [TAR ARGS...]: unpack the pinned linux-source-6.1 tarball (from the cached
# .deb, never /usr/src) into the current directory; extra arguments go to tar (members,
# --strip-components, --wildcards).
kernel_source() {
  local deb; deb=$(fetch_debian_deb linux-source-6.1)
  local member="./usr/src/linux-source-6.1.tar.xz"
  dpkg-deb --fsys-tarfile "$deb" | tar -xO "$member" | tar -xJ "$@" ||
    die "kernel: cannot unpack $member from $deb"
}

# apply_patches: our own patches for this step, from recipes/patches/<step>/.
apply_patches() {
  local p
  for p in "$TOP/recipes/patches/$1"/*.patch; do
    [ -e "$p" ] || continue
    patch -p1 <"$p" || die "$1: patch $(basename "$p") does not apply"
  done
}

# strip_into DIR FILE...: install stripped copies of FILEs into DIR.
strip_into() {
  local dir=$1; shift
  mkdir -p "$dir"
  local f
  for f in "$@"; do
    install -m 0755 "$f" "$dir/"
    strip --strip-all "$dir/$(basename "$f")"
  done
}
