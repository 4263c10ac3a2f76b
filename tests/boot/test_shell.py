"""Boot to `lifeboat: ready`, use the serial shell, and run the shipped tools inside the image."""
import unittest

from lifeboat_vm import VM


class ShellTest(unittest.TestCase):
    def test_ready_and_shell(self):
        with VM(name="shell") as vm:
            t = vm.wait_ready(120)
            vm.wait_disks(600)  # disk work runs after `ready`
            print(f"lifeboat: ready after {t:.1f} s (QEMU start to marker, TCG)")
            out, rc = vm.sh("echo $((6*7))")
            self.assertEqual((out, rc), ("42", 0))
            # The shipped programs run inside the image.
            for cmd, want in (("busybox | head -1", "BusyBox v1.35"),
                              ("dropbear -V 2>&1", "Dropbear v2022.83"),
                              ("e2fsck -V 2>&1", "e2fsck 1.47.0"),
                              ("xfs_repair -V", "xfs_repair version 6.1.0"),
                              ("lvm version 2>&1", "LVM version:     2.03.16"),
                              ("mdadm --version 2>&1", "mdadm - v4.2"),
                              ("cryptsetup --version", "cryptsetup 2.6.1"),
                              ("btrfs --version", "btrfs-progs v6.2"),
                              ("rescue --help", "rescue"),
                              ("cat /etc/lifeboat-release", "NAME=lifeboat")):
                out, rc = vm.sh(cmd)
                self.assertIn(want, out, cmd)
            # What PID 1's mounts step set up (not the kernel's doing: an initramfs has none of it).
            out, rc = vm.sh("cut -d' ' -f2,3 /proc/mounts")
            for want in ("/proc proc", "/sys sysfs", "/dev devtmpfs", "/dev/pts devpts", "/run tmpfs"):
                self.assertIn(want, out.splitlines())


if __name__ == "__main__":
    unittest.main()
