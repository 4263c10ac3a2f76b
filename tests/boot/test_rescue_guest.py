"""The rescue toolkit (issue 6) on a small but real guest (tests/fixtures/rescue_guest.py).

One VM boot for the whole scenario (TCG boots are slow); the host checks the disk image
after a clean `rescue poweroff`.
"""
import json
import os
import subprocess
import tempfile
import unittest
import urllib.parse

from fixtures import rescue_guest as rg
from fixtures.disks import e2fsck_clean
from fixtures.metadata import crypt_matches, ssh_keypair
from lifeboat_vm import VM

PASSWORD = "Rescue-new-pw-42"
TTY_PASSWORD = "Tty-typed-pw-17"


class RescueGuestTest(unittest.TestCase):
    def test_toolkit_on_a_guest(self):
        with tempfile.TemporaryDirectory(prefix="lifeboat-rescue-") as tmp:
            disk = os.path.join(tmp, "guest.img")
            parts = rg.build(disk)
            key, pub = ssh_keypair(tmp)
            with VM(disks=[disk], name="rescue-guest", mem=384,
                    append="lifeboat.ssh_key=" + urllib.parse.quote(pub, safe="")) as vm:
                vm.wait_ready(180)
                vm.wait_disks(600)  # disk work runs after `ready`

                # --help everywhere, usage errors exit 2.
                out, rc = vm.sh("rescue chroot --help")
                self.assertEqual(rc, 0, out)
                self.assertIn("usage: rescue chroot", out)
                out, rc = vm.sh("rescue mount --bogus")
                self.assertEqual(rc, 2, out)

                # status --json is valid JSON; status shows the summary.
                out, rc = vm.sh("rescue status --json > /tmp/s.json; echo rc=$?; wc -c < /tmp/s.json")
                self.assertIn("rc=0", out)
                out, rc = vm.sh("rescue status --json", timeout=30)
                self.assertEqual(rc, 0, out)
                json.loads(out)
                out, rc = vm.sh("rescue status")
                self.assertEqual(rc, 0, out)
                self.assertIn("commands:", out)

                # chroot runs the guest's own binaries; nothing stays mounted afterwards.
                out, rc = vm.sh("rescue chroot cat /etc/debian_version", timeout=60)
                self.assertEqual(rc, 0, out)
                self.assertIn(rg.DEBIAN_VERSION, out)
                out, rc = vm.sh("rescue chroot sh -c 'exit 7'", timeout=60)
                self.assertEqual(rc, 7, out)
                out, rc = vm.sh("grep -c ' /mnt/' /proc/mounts")
                self.assertEqual(out.strip(), "0", out)
                # The child killed: the status says so, the mounts are gone all the same.
                out, rc = vm.sh("rescue chroot sh -c 'kill -9 $$'", timeout=60)
                self.assertEqual(rc, 137, out)
                out, rc = vm.sh("grep -c ' /mnt/' /proc/mounts")
                self.assertEqual(out.strip(), "0", out)
                # Over SSH too.
                vm.wait_ssh(key=key, timeout=120)
                r = vm.ssh("rescue chroot cat /etc/debian_version", key=key)
                self.assertIn(rg.DEBIAN_VERSION, r.stdout)
                r = vm.ssh("rescue status --json", key=key)
                self.assertIn("ssh", json.loads(r.stdout))
                out, rc = vm.sh("grep -c ' /mnt/' /proc/mounts")
                self.assertEqual(out.strip(), "0", out)

                # mount --guest: read-only, fstab entries (UUID= /boot) too; swap/nfs skipped.
                out, rc = vm.sh("rescue mount --guest", timeout=60)
                self.assertEqual(rc, 0, out)
                self.assertIn("skipped: swap", out)
                out, rc = vm.sh("grep ' /mnt/guest' /proc/mounts")
                self.assertIn("/mnt/guest ext4 ro", out)
                self.assertIn("/mnt/guest/boot ext4 ro", out)
                out, rc = vm.sh("cat /mnt/guest/boot/vmlinuz-fixture")
                self.assertIn("not a kernel", out)
                # A mounted filesystem is not mounted rw a second time.
                out, rc = vm.sh("rescue mount vda1 --rw")
                self.assertEqual(rc, 1, out)
                self.assertIn("already mounted at /mnt/guest", out)
                out, rc = vm.sh("rescue du", timeout=60)
                self.assertEqual(rc, 0, out)
                self.assertIn("/mnt/guest/var/log/big.log", out)
                # chroot on an already mounted (read-only) guest: made writable, left mounted.
                out, rc = vm.sh("rescue chroot cat /etc/debian_version", timeout=60)
                self.assertEqual(rc, 0, out)
                self.assertIn(rg.DEBIAN_VERSION, out)
                out, rc = vm.sh("grep ' /mnt/guest ' /proc/mounts")
                self.assertIn("/mnt/guest ext4 ro", out)
                out, rc = vm.sh("rescue umount")
                self.assertEqual(rc, 0, out)
                out, rc = vm.sh("grep -c ' /mnt/' /proc/mounts")
                self.assertEqual(out.strip(), "0", out)

                # passwd from stdin; authorize-key; firewall-off (ufw).
                out, rc = vm.sh(f"echo '{PASSWORD}' | rescue passwd root", timeout=60)
                self.assertEqual(rc, 0, out)
                self.assertNotIn(PASSWORD, out.replace(f"echo '{PASSWORD}'", ""))
                # On the terminal: asked twice, not echoed.
                vm.send("rescue passwd alice; echo PWRC=$?\n")
                vm.expect("New password for alice: ", 60)
                vm.send(TTY_PASSWORD + "\n")
                vm.expect("Retype the new password: ", 30)
                vm.send(TTY_PASSWORD + "\n")
                m = vm.expect(r"PWRC=(\d+)", 60)
                self.assertEqual(int(m.group(1)), 0, vm.tail())
                self.assertNotIn(TTY_PASSWORD, vm.console)
                out, rc = vm.sh("echo x | rescue passwd nosuchuser", timeout=60)
                self.assertEqual(rc, 1, out)
                out, rc = vm.sh(f"rescue authorize-key alice '{pub}'", timeout=60)
                self.assertEqual(rc, 0, out)
                out, rc = vm.sh(f"rescue authorize-key alice '{pub}'", timeout=60)
                self.assertEqual(rc, 0, out)
                self.assertIn("already", out)
                out, rc = vm.sh("rescue firewall-off", timeout=60)
                self.assertEqual(rc, 0, out)
                self.assertIn("ENABLED=no", out)
                self.assertIn("ln -s " + rg.NFT_UNIT, out)
                self.assertIn("to undo", out)
                out, rc = vm.sh("rescue firewall-off", timeout=60)
                self.assertIn("nothing changed", out)

                # One device by its kernel name: read-only under /mnt/<name>.
                out, rc = vm.sh("rescue mount vda2 && grep ' /mnt/vda2 ' /proc/mounts && rescue umount")
                self.assertEqual(rc, 0, out)
                self.assertIn("/mnt/vda2 ext4 ro", out)

                # A filesystem mounted elsewhere is refused rw.
                out, rc = vm.sh("mkdir -p /tmp/x && mount -o ro /dev/vda2 /tmp/x && rescue mount vda2 --rw; "
                                "echo rc=$?; umount /tmp/x")
                self.assertIn("rc=1", out)
                self.assertIn("refusing", out)

                # poweroff unmounts a read-write guest cleanly first.
                out, rc = vm.sh("rescue mount --guest --rw && touch /mnt/guest/root/proof", timeout=60)
                self.assertEqual(rc, 0, out)
                vm.send("rescue poweroff\n")
                vm.wait_exit(60)
                self.assertIn("rescue: unmounted /mnt/guest\r\n", vm.console)

            root = rg.extract(disk, parts["root"], os.path.join(tmp, "root.ext4"))
            r = e2fsck_clean(root)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            shadow = rg.debugfs(root, "cat /etc/shadow")
            lines = shadow.splitlines(keepends=True)
            old = rg.SHADOW.splitlines(keepends=True)
            self.assertEqual(lines[1], old[1])  # the rest unchanged, byte for byte
            alice = lines[2].split(":")
            self.assertTrue(crypt_matches(TTY_PASSWORD, alice[1]), alice[1])
            self.assertEqual(alice[2:], old[2].split(":")[2:])
            fields = lines[0].split(":")
            self.assertEqual(fields[0], "root")
            self.assertTrue(fields[1].startswith("$6$"), fields[1])
            self.assertEqual(len(fields[1].split("$")[2]), 16)
            self.assertTrue(crypt_matches(PASSWORD, fields[1]))
            self.assertEqual(fields[2:], old[0].split(":")[2:])
            st = rg.debugfs(root, "stat /etc/shadow")
            self.assertIn("Mode:  0640", st)
            self.assertRegex(st, r"User:\s+0\s+Group:\s+42")

            keys = rg.debugfs(root, "cat /home/alice/.ssh/authorized_keys")
            self.assertEqual(keys.count(pub.split()[1]), 1)
            st = rg.debugfs(root, "stat /home/alice/.ssh/authorized_keys")
            self.assertIn("Mode:  0600", st)
            self.assertRegex(st, r"User:\s+1000\s+Group:\s+1000")
            st = rg.debugfs(root, "stat /home/alice/.ssh")
            self.assertIn("Mode:  0700", st)
            self.assertRegex(st, r"User:\s+1000\s+Group:\s+1000")

            self.assertIn("proof", rg.debugfs(root, "ls /root"))
            self.assertIn("Type: regular", rg.debugfs(root, "stat /.autorelabel"))  # SELinux enforcing
            wants = rg.debugfs(root, "ls /etc/systemd/system/multi-user.target.wants")
            self.assertNotIn("nftables.service", wants)
            ufw = rg.debugfs(root, "cat /etc/ufw/ufw.conf")
            self.assertIn("\nENABLED=no\n", ufw)
            self.assertNotIn("ENABLED=yes", ufw)
            self.assertIn("LOGLEVEL=low", ufw)


if __name__ == "__main__":
    unittest.main()
