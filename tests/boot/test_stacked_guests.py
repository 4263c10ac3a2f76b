"""Stacked guest layouts (issue 12), over SSH: `rescue chroot cat /etc/os-release` on every
layout (XFS on LVM with a plain /boot, ext4 on LVM, root and /boot on md RAID1, btrfs with
subvol=root/home, btrfs with the openSUSE @ layout, LUKS2 holding LVM after `rescue unlock`),
`rescue passwd` on the LVM and btrfs guests checked on the images by a later boot, and
`rescue unlock` with a wrong passphrase, the right one, and a key slot too big for the VM.
"""
import json
import os
import subprocess
import tempfile
import unittest
import urllib.parse

from fixtures import stacked
from fixtures.metadata import crypt_matches, ssh_keypair
from lifeboat_vm import VM

NEW_PASSWORD = "Stacked-new-pw-31"


def copy(layout, tmp):
    d = os.path.join(tmp, layout)
    os.makedirs(d, exist_ok=True)
    return stacked.copy_layout(layout, d)


class StackedGuests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.m = stacked.build_all()

    def vm(self, disks, name, key_pub, mem=512, append=""):
        return VM(disks=disks, name=name, mem=mem,
                  append=f"lifeboat.ssh_key={urllib.parse.quote(key_pub, safe='')} {append}".strip())

    def ssh_input(self, vm, key, cmd, text, timeout=600):
        """`cmd` over SSH with `text` on its stdin (a passphrase never typed on the console)."""
        argv = ["ssh", *vm.ssh_args(key), "root@127.0.0.1", cmd]
        return subprocess.run(argv, input=text, capture_output=True, text=True, timeout=timeout)

    def chroot_os_release(self, vm, key, layout):
        r = vm.ssh("rescue chroot cat /etc/os-release", key=key, timeout=300, check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.strip(), self.m[layout]["os_release"].strip(), layout)

    def test_chroot_and_passwd_on_each_layout(self):
        with tempfile.TemporaryDirectory(prefix="lifeboat-stacked-guests-") as tmp:
            key, pub = ssh_keypair(tmp)
            changed = {}  # layout -> its disk copies, with root's password changed
            for layout in ("rhel-lvm", "ubuntu-lvm", "md-raid1", "fedora-btrfs", "opensuse-btrfs"):
                with self.subTest(layout=layout):
                    disks = copy(layout, tmp)
                    with self.vm(disks, f"stacked-{layout}", pub) as vm:
                        vm.wait_ready(240)
                        vm.wait_disks(900)
                        vm.wait_ssh(key=key, timeout=120)
                        self.chroot_os_release(vm, key, layout)
                        if layout in ("rhel-lvm", "fedora-btrfs"):
                            r = self.ssh_input(vm, key, "rescue passwd root", NEW_PASSWORD + "\n", timeout=300)
                            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                            self.assertIn("password of 'root' changed", r.stdout)
                            changed[layout] = disks
                        out, rc = vm.sh("grep -c ' /mnt/' /proc/mounts")
                        self.assertEqual(out.strip(), "0", "rescue chroot left mounts behind")
                        vm.send("rescue poweroff\n")
                        vm.wait_exit(120)

            # The new hashes are on the images: a later boot (check mode) reads both shadows.
            disks = changed["rhel-lvm"] + changed["fedora-btrfs"]
            with self.vm(disks, "stacked-passwd-verify", pub) as vm:
                vm.wait_ready(240)
                vm.wait_disks(900)
                # vda: rhel-lvm (root on LV rhel/root), vdb: fedora-btrfs (p2: subvolume root).
                out, rc = vm.sh("mkdir -p /mnt/r /mnt/f && mount -o ro,norecovery /dev/mapper/rhel-root /mnt/r && "
                                "mount -o ro,subvol=root /dev/vdb2 /mnt/f && grep '^root:' /mnt/r/etc/shadow /mnt/f/etc/shadow",
                                timeout=60)
                self.assertEqual(rc, 0, out)
                hashes = [line.split(":")[2] for line in out.splitlines() if ":root:" in line]
                self.assertEqual(len(hashes), 2, out)
                for h in hashes:
                    self.assertTrue(crypt_matches(NEW_PASSWORD, h), h)
                vm.sh("umount /mnt/r /mnt/f")

    def test_unlock_luks_with_lvm(self):
        m = self.m["luks-lvm"]
        passphrase = m["passphrase"]
        with tempfile.TemporaryDirectory(prefix="lifeboat-stacked-luks-") as tmp:
            key, pub = ssh_keypair(tmp)
            # vda: luks-lvm (64 MiB argon2 slot), vdb: luks-big (1 GiB slot); 512 MiB of RAM.
            disks = copy("luks-lvm", tmp) + copy("luks-big", tmp)
            with self.vm(disks, "stacked-luks", pub, mem=512) as vm:
                vm.wait_ready(240)
                vm.wait_disks(900)
                vm.wait_ssh(key=key, timeout=120)

                # Several containers: say which.
                r = self.ssh_input(vm, key, "rescue unlock", passphrase + "\n")
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertIn("several LUKS containers", r.stderr)

                # The 1 GiB key slot does not fit: said before trying (no OOM kill).
                r = self.ssh_input(vm, key, "rescue unlock vdb", passphrase + "\n")
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertRegex(r.stderr, r"need 1024 MiB of memory .*this VM has \d+ MiB available")

                # A wrong passphrase.
                r = self.ssh_input(vm, key, "rescue unlock vda2", "not the passphrase\n")
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertIn("wrong passphrase", r.stderr)

                # The right one: opened read-only, LVM inside read-only, its ext4 checked.
                r = self.ssh_input(vm, key, "rescue unlock vda2", passphrase + "\n")
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertIn("opened read-only", r.stdout)
                self.assertRegex(r.stdout, r"rescue: fsck: dm-\d+ ext4 clean")
                out, rc = vm.sh("cat /sys/block/dm-*/ro | sort -u")
                self.assertEqual(out.split(), ["1"])
                r = vm.ssh("rescue unlock vda2", key=key, check=False)
                self.assertIn("already open", r.stdout)

                # Closed again, then opened read-write for the chroot.
                vm.ssh("vgchange -an vgcrypt && cryptsetup close $(ls /dev/mapper | grep ^luks-)", key=key)
                r = self.ssh_input(vm, key, "rescue unlock --rw vda2", passphrase + "\n")
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertIn("opened read-write", r.stdout)
                self.chroot_os_release(vm, key, "luks-lvm")

                # The passphrase is nowhere: console, status.json, run files.
                self.assertNotIn(passphrase, vm.console)
                r = vm.ssh("rescue status --json; grep -rl 'correct horse' /run /tmp /etc 2>/dev/null; true", key=key)
                self.assertNotIn(passphrase, r.stdout)
                json.loads(r.stdout[r.stdout.index("{"):r.stdout.rindex("}") + 1])
                vm.send("rescue poweroff\n")
                vm.wait_exit(120)


if __name__ == "__main__":
    unittest.main()
