"""Our initramfs on Debian's stock cloud kernel (virtio as modules): coldplug finds the disks."""
import os
import subprocess
import tempfile
import unittest

from fixtures.disks import ext4_image
from lifeboat_vm import REPO, VM

CACHE = os.environ.get("LIFEBOAT_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "lifeboat")


class CloudKernelTest(unittest.TestCase):
    def test_stock_kernel_sees_virtio_disks(self):
        kernel, modules = subprocess.run(
            [os.path.join(REPO, "tests/fixtures/cloud-kernel"), os.path.join(CACHE, "fixtures")],
            check=True, capture_output=True, text=True).stdout.split()
        out = os.path.join(CACHE, "out-cloud-kernel")
        subprocess.run([os.path.join(REPO, "mkimage"), "--kernel", kernel, "--modules", modules,
                        "--out", out], check=True, env=dict(os.environ, LIFEBOAT_SKIP_DEPS="1"))
        with tempfile.TemporaryDirectory() as tmp:
            disk = ext4_image(os.path.join(tmp, "d.img"))
            with VM(kernel=os.path.join(out, "vmlinuz"), initrd=os.path.join(out, "initramfs.img"),
                    disks=[disk], name="cloudkernel") as vm:
                t = vm.wait_ready(180)
                vm.wait_disks(600)  # disk work runs after `ready`
                print(f"stock cloud kernel: ready after {t:.1f} s")
                out_, rc = vm.sh("uname -r; ls /sys/block; grep -c virtio /proc/modules")
                self.assertIn("cloud-amd64", out_)
                self.assertIn("vda", out_)


if __name__ == "__main__":
    unittest.main()
