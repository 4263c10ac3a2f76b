"""The rescue toolkit over SSH on a real Debian 12 guest (debootstrap minbase, cached) with a
separate /boot partition. The host checks the image after a clean poweroff."""
import json
import os
import subprocess
import tempfile
import unittest
import urllib.parse

from fixtures import debian_guest, rescue_guest as rg
from fixtures.metadata import crypt_matches, ssh_keypair
from lifeboat_vm import VM

PASSWORD = "Debian-rescue-pw-9"


def from_tar(tar: str, member: str) -> str:
    return subprocess.run(["tar", "-xOf", tar, member], check=True, capture_output=True, text=True).stdout


class RescueDebianTest(unittest.TestCase):
    def test_toolkit_on_debian(self):
        tar = debian_guest.root_tarball()
        version = from_tar(tar, "./etc/debian_version").strip()
        shadow_before = from_tar(tar, "./etc/shadow").splitlines()
        with tempfile.TemporaryDirectory(prefix="lifeboat-debian-") as tmp:
            disk = os.path.join(tmp, "debian.img")
            parts = debian_guest.build(disk)
            key, pub = ssh_keypair(tmp)
            with VM(disks=[disk], name="rescue-debian", mem=384,
                    append="lifeboat.ssh_key=" + urllib.parse.quote(pub, safe="")) as vm:
                vm.wait_ready(180)
                vm.wait_disks(600)  # disk work runs after `ready`
                vm.wait_ssh(key=key)
                r = vm.ssh("rescue chroot cat /etc/debian_version", key=key, timeout=120)
                self.assertEqual(r.stdout.strip(), version)
                r = vm.ssh("grep -c ' /mnt/' /proc/mounts || true", key=key)
                self.assertEqual(r.stdout.strip(), "0", "a guest mount stayed after chroot")
                vm.ssh(f"echo {PASSWORD} | rescue passwd root", key=key, timeout=120)
                vm.ssh(f"rescue authorize-key root {json.dumps(pub)}", key=key, timeout=120)
                r = vm.ssh("rescue firewall-off", key=key, timeout=120)
                self.assertIn("ufw", r.stdout)
                status = json.loads(vm.ssh("rescue status --json", key=key).stdout)
                summary = vm.ssh("rescue status", key=key).stdout
                pretty = status["disks"]["guests"][0]["pretty_name"]
                self.assertIn("Debian GNU/Linux 12", pretty)
                self.assertIn(f"guest: {pretty}", summary)
                vm.send("rescue poweroff\n")
                vm.wait_exit(60)
            root = rg.extract(disk, parts["root"], os.path.join(tmp, "root.img"))
            shadow_after = rg.debugfs(root, "cat /etc/shadow").splitlines()
            self.assertEqual(len(shadow_after), len(shadow_before))
            for before, after in zip(shadow_before, shadow_after):
                if before.startswith("root:"):
                    fields_b, fields_a = before.split(":"), after.split(":")
                    self.assertTrue(crypt_matches(PASSWORD, fields_a[1]))
                    self.assertEqual(fields_a[:1] + fields_a[2:], fields_b[:1] + fields_b[2:])
                else:
                    self.assertEqual(after, before)
            keys = rg.debugfs(root, "cat /root/.ssh/authorized_keys")
            self.assertIn(pub.split()[1], keys)
            st = rg.debugfs(root, "stat /root/.ssh/authorized_keys")
            self.assertRegex(st, r"Mode:\s+0600")
            self.assertRegex(st, r"User:\s+0\s")
            self.assertIn("ENABLED=no", rg.debugfs(root, "cat /etc/ufw/ufw.conf"))


if __name__ == "__main__":
    unittest.main()
