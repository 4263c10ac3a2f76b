# cryptsetup: open LUKS1/LUKS2 containers (read-only by default). Static, with the kernel's
# crypto API as backend (AF_ALG, no OpenSSL), cryptsetup's own argon2, no token plugins,
# no udev, no SELinux, no libblkid.
INPUTS="recipes/lib.sh"
PINS="cryptsetup"
DEPS="zig util-linux lvm2 popt json-c"
build() {
  fetch_debian cryptsetup
  autoreconf -fi >/dev/null 2>&1 || ./autogen.sh >/dev/null
  # libdevmapper wants -lm; libuuid comes from util-linux.
  LIBS="-lm" \
  ./configure --host=x86_64-linux-musl --prefix=/usr --sbindir=/sbin \
    --disable-shared --enable-static --enable-static-cryptsetup \
    --disable-veritysetup --disable-integritysetup --disable-ssh-token \
    --disable-external-tokens --disable-selinux --disable-udev --disable-blkid \
    --disable-nls --disable-asciidoc --disable-pwquality --disable-passwdqc \
    --disable-fips --disable-keyring \
    --with-crypto_backend=kernel --enable-internal-argon2 --disable-internal-sse-argon2 \
    --with-tmpfilesdir=/nonexistent
  make -j"$JOBS" cryptsetup.static
  strip_into "$PREFIX/sbin" cryptsetup.static
  mv "$PREFIX/sbin/cryptsetup.static" "$PREFIX/sbin/cryptsetup"
}
