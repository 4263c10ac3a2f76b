# Dropbear: the SSH server, client, key tools (dropbearconvert: a provider's OpenSSH host
# keys) and scp. Patched: RSA and DSS host keys are offered only when loaded, also under -R
# (recipes/patches/dropbear).
INPUTS="recipes/lib.sh recipes/dropbear-localoptions.h"
PINS="dropbear"
DEPS="zig"
build() {
  fetch_debian dropbear
  apply_patches dropbear
  cp "$TOP/recipes/dropbear-localoptions.h" localoptions.h
  ./configure --host=x86_64-linux-musl --prefix=/usr --disable-zlib --enable-static \
    --enable-bundled-libtom --disable-lastlog --disable-utmp --disable-utmpx --disable-wtmp \
    --disable-wtmpx --disable-pututline --disable-pututxline --disable-syslog
  make -j"$JOBS" PROGRAMS="dropbear dbclient dropbearkey dropbearconvert scp" STATIC=1
  strip_into "$PREFIX/bin" dropbear dbclient dropbearkey dropbearconvert scp
}
