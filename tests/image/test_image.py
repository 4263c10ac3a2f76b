"""The assembled image: every ELF static musl (no glibc), the release file, the size budgets."""
import os
import subprocess
import tempfile
import unittest

from lifeboat_vm import OUT

INITRAMFS_BUDGET = 6 * 1024 * 1024
BZIMAGE_BUDGET = 5 * 1024 * 1024


class ImageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.root = cls.tmp.name
        img = os.path.join(OUT, "initramfs.img")
        unpacked = subprocess.run(f"zstd -dc {img} | cpio -idm --quiet --no-absolute-filenames",
                                  shell=True, cwd=cls.root, capture_output=True, text=True)
        assert unpacked.returncode == 0, unpacked.stderr

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def elves(self):
        for d, _, files in os.walk(self.root):
            for f in files:
                p = os.path.join(d, f)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                with open(p, "rb") as fh:
                    if fh.read(4) == b"\x7fELF":
                        yield p

    def test_every_elf_is_static_and_glibc_free(self):
        elves = list(self.elves())
        names = {os.path.basename(p) for p in elves}
        for want in ("init", "busybox", "dropbear", "e2fsck", "xfs_repair", "sftp-server", "lvm", "mdadm",
                     "cryptsetup", "btrfs"):
            self.assertIn(want, names)
        for p in elves:
            desc = subprocess.run(["file", "-b", p], capture_output=True, text=True).stdout
            self.assertIn("statically linked", desc, p)
            with open(p, "rb") as fh:
                self.assertNotIn(b"GLIBC_", fh.read(), p)
        print(f"{len(elves)} ELF files, all static, none with GLIBC symbols")

    def test_release_lists_components(self):
        with open(os.path.join(self.root, "etc/lifeboat-release")) as fh:
            rel = fh.read()
        for comp in ("busybox", "dropbear", "e2fsprogs", "xfsprogs", "util_linux", "openssh", "lvm2", "mdadm",
                     "cryptsetup", "btrfs_progs", "KERNEL="):
            self.assertIn(comp, rel)

    def test_console_node_and_modes(self):
        st = os.lstat(os.path.join(self.root, "etc/shadow"))
        self.assertEqual(st.st_mode & 0o777, 0o600)
        self.assertTrue(os.path.islink(os.path.join(self.root, "bin/rescue")))

    def test_size_budgets(self):
        img = os.path.getsize(os.path.join(OUT, "initramfs.img"))
        kern = os.path.getsize(os.path.join(OUT, "vmlinuz"))
        print(f"initramfs.img {img} bytes (budget {INITRAMFS_BUDGET}), vmlinuz {kern} bytes (budget {BZIMAGE_BUDGET})")
        self.assertLessEqual(img, INITRAMFS_BUDGET)
        self.assertLessEqual(kern, BZIMAGE_BUDGET)


if __name__ == "__main__":
    unittest.main()
