"""Our initramfs on Debian's stock cloud kernel (virtio, loop, squashfs, xfs as modules):
the tools squashfs is mounted (loop and squashfs loaded first), coldplug finds the disks and an
OpenStack config drive on an IDE CD-ROM (libata's port probe finds the drive, then sr_mod and
isofs load, and its SSH key lets us in), and a filesystem module loads when a mount needs it
(the kernel's module helper)."""
import os
import subprocess
import tempfile
import unittest

from fixtures.disks import ext4_image
from fixtures.metadata import config_drive, ssh_keypair
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
            xfs = os.path.join(tmp, "x.img")
            with open(xfs, "wb") as fh:
                fh.truncate(300 << 20)
            subprocess.run(["mkfs.xfs", "-q", "-L", "xdata", xfs], check=True)
            key, pub = ssh_keypair(tmp)
            cd = config_drive(os.path.join(tmp, "config-2.iso"),
                              {"uuid": "c1", "hostname": "cloudkernel-cd", "public_keys": {"k": pub}})
            with VM(kernel=os.path.join(out, "vmlinuz"), initrd=os.path.join(out, "initramfs.img"),
                    disks=[disk, xfs], name="cloudkernel",
                    extra=["-drive", f"file={cd},format=raw,if=ide,media=cdrom,readonly=on"]) as vm:
                t = vm.wait_ready(180)
                vm.wait_disks(600)  # disk work runs after `ready`
                print(f"stock cloud kernel: ready after {t:.1f} s")
                out_, rc = vm.sh("uname -r; ls /sys/block; grep -c virtio /proc/modules; "
                                 "grep ' /usr/lib/lifeboat/tools ' /proc/mounts; "
                                 "mount -o ro /dev/vdb /mnt && grep -w xfs /proc/modules | cut -d' ' -f1; umount /mnt")
                print(out_)
                self.assertIn("cloud-amd64", out_)
                self.assertIn("vda", out_)
                self.assertIn("squashfs", out_)
                # Nothing preloads xfs (lifeboat.modules is empty): the kernel asked the helper
                # for fs-xfs when a mount needed it (the guest root search's or this one).
                self.assertRegex(out_, r"(?m)^xfs\r?$")
                # The config drive's key (no other source gives one) and hostname.
                r = vm.ssh("hostname; cut -d' ' -f1 /proc/modules | grep -x -e sr_mod -e isofs | sort", key=key)
                self.assertEqual(r.stdout.split(), ["cloudkernel-cd", "isofs", "sr_mod"])
                st, rc = vm.sh("rescue status")
                self.assertRegex(st, r"vda ext4 .*clean")
                self.assertRegex(st, r"vdb xfs .*clean")


if __name__ == "__main__":
    unittest.main()
