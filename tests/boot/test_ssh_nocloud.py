"""NoCloud seed made by the real tool (cloud-localds, label cidata): ssh_authorized_keys and
chpasswd give key and password logins; network-config v2 (DHCP by MAC) is applied. One boot."""
import os
import tempfile
import time
import unittest

from fixtures.metadata import have, nocloud_seed, ssh_keypair, status_json, step
from lifeboat_vm import VM

PASSWORD = "NoCloud-pw-4242"

USER_DATA = """#cloud-config
hostname: nocloud-vm
ssh_authorized_keys:
  - {pub}
chpasswd:
  expire: false
  users:
    - name: root
      password: {pw}
      type: text
runcmd:
  - [touch, /tmp/runcmd-ran]
"""

NETWORK_CONFIG = """version: 2
ethernets:
  nic0:
    match:
      macaddress: "52:54:00:12:34:56"
    dhcp4: true
"""


@unittest.skipUnless(have("cloud-localds"), "cloud-localds (cloud-image-utils) not installed")
class NocloudTest(unittest.TestCase):
    def test_key_and_password_logins(self):
        with tempfile.TemporaryDirectory(prefix="lifeboat-nocloud-") as tmp:
            key, pub = ssh_keypair(tmp)
            seed = nocloud_seed(os.path.join(tmp, "seed.img"), USER_DATA.format(pub=pub, pw=PASSWORD),
                                "instance-id: iid-lifeboat-1\nlocal-hostname: nocloud-meta\n", NETWORK_CONFIG)
            with VM(disks=[seed], name="nocloud") as vm:
                ready = vm.wait_ready(120)
                vm.wait_disks(600)  # disk work runs after `ready`
                t0 = time.monotonic()
                vm.wait_ssh(key=key, timeout=60)
                print(f"\nnocloud: ready after {ready:.1f} s, first SSH login after "
                      f"{ready + time.monotonic() - t0:.1f} s (TCG)")
                self.assertEqual(vm.ssh("echo ok", key=key).stdout.strip(), "ok")
                self.assertEqual(vm.ssh("id -u", password=PASSWORD).stdout.strip(), "0")
                self.assertNotEqual(vm.ssh("true", password=PASSWORD + "!", check=False).returncode, 0)
                con = vm.console
                self.assertRegex(con, r"lifeboat: metadata nocloud: ok: /dev/vda \((iso9660|vfat)\): ")
                self.assertIn("lifeboat: net: eth0 52:54:00:12:34:56 10.0.2.15/24 (dhcp, nocloud)", con)
                self.assertNotIn(PASSWORD, con)
                st = status_json(vm, key=key)
                self.assertEqual(step(st, "metadata nocloud")["result"], "ok")
                self.assertEqual(st["config"]["password"], {"source": "nocloud", "kind": "plaintext-hashed"})
                self.assertEqual(st["config"]["instance_id"]["value"], "iid-lifeboat-1")
                self.assertEqual(st["network"]["source"], "nocloud")
                # user scripts are never run
                r = vm.ssh("test -e /tmp/runcmd-ran && echo ran || echo not-run; hostname", key=key)
                self.assertEqual(r.stdout.split()[0], "not-run")


if __name__ == "__main__":
    unittest.main()
