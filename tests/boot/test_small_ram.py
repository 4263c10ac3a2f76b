"""A 48 MiB VM: SSH login with a key, a guest disk checked, the tools (squashfs) mounted.

The kernel unpacks the initramfs into a ramfs (rootfstype=ramfs is built into its command
line: a tmpfs root would be capped at half the RAM, about what the image unpacks to at
48 MiB): an image that does not fit shows "Initramfs unpacking failed" or the kernel's
"Out of memory" panic on the console. Root's home, where an admin copies files, and /mnt,
where guests are mounted, are capped tmpfs since the ramfs root has no limit."""
import json
import os
import tempfile
import unittest

from fixtures.disks import ext4_image
from fixtures.metadata import ssh_keypair, url_encode
from lifeboat_vm import VM


class SmallRamTest(unittest.TestCase):
    def test_48mib(self):
        with tempfile.TemporaryDirectory(prefix="lifeboat-ram-") as tmp:
            key, pub = ssh_keypair(tmp)
            disk = ext4_image(os.path.join(tmp, "d.img"), 64, {"/etc/hostname": "small\n"})
            with VM(mem=48, disks=[disk], append=f"lifeboat.ssh_key={url_encode(pub)}", name="ram48") as vm:
                vm.wait_ready(120)
                vm.wait_ssh(key=key, timeout=120)
                vm.wait_disks(600)  # disk work runs after `ready`
                out = vm.ssh("grep -E 'MemTotal|MemAvailable' /proc/meminfo; stat -f -c 'rootfs: %b blocks of %S bytes, %f free' /; "
                             "grep ' /usr/lib/lifeboat/tools ' /proc/mounts; grep -E ' /(root|mnt) ' /proc/mounts", key=key).stdout
                print(out)
                self.assertNotIn("Initramfs unpacking failed", vm.console)
                self.assertIn("squashfs", out)
                self.assertIn("tmpfs /root tmpfs", out)
                self.assertIn("tmpfs /mnt tmpfs", out)  # where guests are mounted: capped too
                st = json.loads(vm.ssh("rescue status --json", key=key).stdout)
                states = [v.get("fsck", {}).get("state") for v in st["disks"]["volumes"]]
                self.assertEqual(states, ["clean"], st["disks"])


if __name__ == "__main__":
    unittest.main()
