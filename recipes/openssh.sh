# OpenSSH: only sftp-server (Dropbear's sftp subsystem), without OpenSSL.
INPUTS="recipes/lib.sh"
PINS="openssh"
DEPS="zig"
build() {
  fetch_debian openssh
  autoreconf -fi >/dev/null  # Debian's patches touch configure.ac
  ./configure --host=x86_64-linux-musl --prefix=/usr --without-openssl --without-zlib \
    --without-pam --without-selinux --without-kerberos5 --without-libedit --without-ldns \
    --disable-security-key --without-pie --without-audit --with-privsep-path=/var/empty
  make -j"$JOBS" sftp-server
  strip_into "$PREFIX/libexec" sftp-server
}
