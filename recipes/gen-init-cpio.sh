# gen_init_cpio: the kernel's own initramfs writer (usr/gen_init_cpio.c, from the pinned
# linux-source-6.1 .deb in the cache), built with the host compiler. It writes cpio newc
# from a spec with fixed owners, modes and mtimes and device nodes, without root: the
# image is reproducible by construction.
INPUTS="recipes/lib.sh"
PINS="linux-source-6.1"
DEPS=""
setup_env() { :; }
build() {
  kernel_source --wildcards '*/usr/gen_init_cpio.c' --strip-components=2
  mkdir -p "$PREFIX/bin"
  gcc -O2 -o "$PREFIX/bin/gen_init_cpio" gen_init_cpio.c
}
