# gen_init_cpio: the kernel's own initramfs writer (usr/gen_init_cpio.c), built with the
# host compiler. It writes cpio newc from a spec with fixed owners, modes and mtimes and
# device nodes, without root: the image is reproducible by construction.
INPUTS=""
PINS="linux-source-6.1"
DEPS=""
setup_env() { :; }
build() {
  tar xf /usr/src/linux-source-6.1.tar.xz --wildcards '*/usr/gen_init_cpio.c' --strip-components=2
  mkdir -p "$PREFIX/bin"
  gcc -O2 -o "$PREFIX/bin/gen_init_cpio" gen_init_cpio.c
}
