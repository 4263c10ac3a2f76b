"""Bad provider input: a broken meta_data.json, a network_data.json link whose MAC no NIC has,
a malformed key on the command line and a malformed NoCloud network-config. Each gives a named
error on the console and in `rescue status --json`, the boot reaches ready, and what is valid
still works: the command line key and the NoCloud key both log in. One boot."""
import os
import tempfile
import unittest

from fixtures.metadata import config_drive, have, nocloud_seed, ssh_keypair, status_json, step, url_encode
from lifeboat_vm import VM

BROKEN_META = '{"uuid": "u-1", "admin_pass": "Never-Shown-pw1", "public_keys": {"k": "ssh-ed25519 AAAA'
UNKNOWN_MAC = "52:54:00:de:ad:01"
NETWORK_DATA = {
    "links": [{"id": "tap9", "type": "phy", "ethernet_mac_address": UNKNOWN_MAC}],
    "networks": [{"id": "n9", "link": "tap9", "network_id": "x", "type": "ipv4", "ip_address": "192.0.2.9",
                  "netmask": "255.255.255.0"}],
    "services": [],
}
BAD_NETWORK_CONFIG = "version: 2\nethernets: [this, is: {not valid\n"


@unittest.skipUnless(have("cloud-localds") and have("genisoimage"), "cloud-localds/genisoimage missing")
class BadInputTest(unittest.TestCase):
    def test_named_errors_and_the_rest_still_works(self):
        with tempfile.TemporaryDirectory(prefix="lifeboat-bad-") as tmp:
            key1, pub1 = ssh_keypair(tmp, "id_cmdline")
            key2, pub2 = ssh_keypair(tmp, "id_nocloud")
            drive = config_drive(os.path.join(tmp, "cd.iso"), BROKEN_META, NETWORK_DATA)
            seed = nocloud_seed(os.path.join(tmp, "seed.img"), f"#cloud-config\nssh_authorized_keys: ['{pub2}']\n",
                                network_config=BAD_NETWORK_CONFIG)
            bad_key = url_encode("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA-not-base64 broken")
            append = f"lifeboat.ssh_key={url_encode(pub1)} lifeboat.ssh_key={bad_key}"
            with VM(append=append, disks=[drive, seed], name="bad-input") as vm:
                ready = vm.wait_ready(120)
                vm.wait_disks(600)  # disk work runs after `ready`
                print(f"\nbad input: ready after {ready:.1f} s (TCG)")
                con = vm.console
                self.assertRegex(con, r"lifeboat: error: config-2: openstack/latest/meta_data\.json: ")
                self.assertRegex(con, r"lifeboat: error: config-2: network_data\.json: links\[0\]\.ethernet_mac_address: "
                                      r"no interface with MAC 52:54:00:de:ad:01")
                self.assertRegex(con, r"lifeboat: error: cmdline: lifeboat\.ssh_key[^:]*: not a valid OpenSSH public key")
                self.assertRegex(con, r"lifeboat: error: nocloud: network-config")
                self.assertNotIn("Never-Shown-pw1", con)
                # Both valid keys work; the NIC fell back to DHCP.
                vm.wait_ssh(key=key1, timeout=60)
                self.assertEqual(vm.ssh("echo ok", key=key2).stdout.strip(), "ok")
                self.assertIn("lifeboat: net: eth0 52:54:00:12:34:56 10.0.2.15/24 (dhcp)", con)
                st = status_json(vm, key=key1)
                sources = {(e["source"], e["field"].split(":")[0]) for e in st["errors"]}
                self.assertIn(("config-2", "openstack/latest/meta_data.json"), sources)
                self.assertIn(("config-2", "network_data.json"), sources)
                self.assertTrue(any(s == "cmdline" and f.startswith("lifeboat.ssh_key") for s, f in sources), sources)
                self.assertTrue(any(s == "nocloud" and f.startswith("network-config") for s, f in sources), sources)
                self.assertEqual(st["ssh"]["authorized_keys"], 2)
                self.assertEqual(st["ssh"]["password"], {"set": False})
                self.assertEqual(st["ssh"]["password_login"], False)
                # No password anywhere (meta_data.json was unreadable): password logins are off.
                self.assertNotEqual(vm.ssh("true", password="", check=False).returncode, 0)
                self.assertNotEqual(vm.ssh("true", password="Never-Shown-pw1", check=False).returncode, 0)
                self.assertEqual(step(st, "metadata nocloud")["result"], "ok")
                self.assertNotIn("Never-Shown-pw1", vm.ssh("rescue status --json; cat /etc/shadow", key=key1).stdout)


if __name__ == "__main__":
    unittest.main()
