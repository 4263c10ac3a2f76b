"""OpenStack config drive (label config-2, ISO 9660 and vfat): admin_pass and public_keys give
key and password logins, network_data.json gives a static address matched by MAC, and the
plaintext admin_pass is nowhere to be found afterwards (console, /run, /etc, dmesg).
Two VM boots."""
import os
import tempfile
import time
import unittest

from fixtures.metadata import config_drive, ssh_keypair, status_json, step
from lifeboat_vm import VM

ADMIN_PASS = "Lb-Adm1n-S3cret-Zq8"
MAC = "52:54:00:12:34:56"  # the harness's NIC


def network_data() -> dict:
    return {
        "links": [{"id": "tap0", "type": "vif", "ethernet_mac_address": MAC.upper(), "mtu": 1500}],
        "networks": [
            {"id": "net0", "link": "tap0", "network_id": "n0", "type": "ipv4", "ip_address": "10.0.2.15",
             "netmask": "255.255.255.0",
             "routes": [{"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": "10.0.2.2"}]},
            {"id": "net1", "link": "tap0", "network_id": "n1", "type": "ipv4", "ip_address": "10.0.2.77",
             "netmask": "255.255.255.0", "routes": []},
        ],
        "services": [{"type": "dns", "address": "10.0.2.3"}],
    }


def meta_data(pub: str) -> dict:
    return {"uuid": "3a6d1bd2-7c4e-4cb4-9d5e-0c1d8d2e2a11", "hostname": "rescued-vm.example.org",
            "name": "rescued-vm", "admin_pass": ADMIN_PASS, "public_keys": {"mykey": pub},
            "random_seed": "bGlmZWJvYXQgcmFuZG9tIHNlZWQ="}


class ConfigDriveTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="lifeboat-cd-")
        self.addCleanup(self.tmp.cleanup)
        self.key, self.pub = ssh_keypair(self.tmp.name)

    def boot(self, fs: str) -> VM:
        drive = config_drive(os.path.join(self.tmp.name, f"config-2.{fs}"), meta_data(self.pub),
                             network_data(), fs=fs)
        vm = VM(disks=[drive], name=f"configdrive-{fs}")
        vm.start()
        self.addCleanup(vm.kill)
        ready = vm.wait_ready(120)
        vm.wait_disks(600)  # disk work runs after `ready`
        t0 = time.monotonic()
        vm.wait_ssh(key=self.key, timeout=60)
        print(f"\nconfig drive ({fs}): ready after {ready:.1f} s, "
              f"first SSH login after {ready + time.monotonic() - t0:.1f} s (TCG)")
        return vm

    def check_logins_and_network(self, vm: VM, fs: str) -> None:
        self.assertEqual(vm.ssh("echo ok", key=self.key).stdout.strip(), "ok")
        self.assertEqual(vm.ssh("id -u", password=ADMIN_PASS).stdout.strip(), "0")
        self.assertNotEqual(vm.ssh("true", password="wrong-" + ADMIN_PASS, check=False).returncode, 0)
        con = vm.console
        self.assertRegex(con, r"lifeboat: metadata config-2: ok: /dev/vda \(" + fs + r"\): hostname rescued-vm")
        self.assertIn(f"lifeboat: net: eth0 {MAC} 10.0.2.15/24 10.0.2.77/24 gw 10.0.2.2 (static, config-2)", con)
        self.assertIn("lifeboat: ssh: listening on port 22 (keys: 1, password: yes)", con)
        r = vm.ssh("ip -4 addr show dev eth0; ip route; cat /etc/resolv.conf; hostname; "
                   "ls /run/lifeboat/dhcp 2>/dev/null | wc -l; grep -c ' /run/lifeboat/mnt' /proc/mounts",
                   key=self.key, check=False)
        self.assertIn("inet 10.0.2.15/24", r.stdout)
        self.assertIn("inet 10.0.2.77/24", r.stdout)
        self.assertIn("default via 10.0.2.2", r.stdout)
        self.assertIn("nameserver 10.0.2.3", r.stdout)
        self.assertIn("rescued-vm", r.stdout)
        self.assertEqual(r.stdout.split()[-2:], ["0", "0"])  # no DHCP lease, the drive is unmounted
        st = status_json(vm, key=self.key)
        self.assertEqual(step(st, "metadata config-2")["result"], "ok")
        self.assertEqual(st["config"]["password"], {"source": "config-2", "kind": "plaintext-hashed"})
        self.assertEqual(st["ssh"]["password"]["kind"], "plaintext-hashed")
        self.assertEqual(st["network"]["source"], "config-2")
        self.assertEqual(st["errors"], [])

    def test_iso9660_logins_network_and_no_plaintext_anywhere(self):
        vm = self.boot("iso9660")
        self.check_logins_and_network(vm, "iso9660")
        # The secret, assembled inside the shell so the command line itself does not carry it.
        half = len(ADMIN_PASS) // 2
        probe = (f"P=$(printf %s%s '{ADMIN_PASS[:half]}' '{ADMIN_PASS[half:]}'); "
                 "grep -rlF \"$P\" /run /etc /root 2>/dev/null; echo files-done; "
                 "dmesg | grep -cF \"$P\"; "
                 "grep -c '^root:\\$6\\$' /etc/shadow; stat -c %a /etc/shadow /root/.ssh /root/.ssh/authorized_keys")
        out = vm.ssh(probe, key=self.key, check=False).stdout.split()
        self.assertEqual(out[0], "files-done", f"plaintext found in: {out}")
        self.assertEqual(out[1:], ["0", "1", "600", "700", "600"])
        self.assertNotIn(ADMIN_PASS, vm.console)
        with open(vm.log_path, "rb") as fh:
            self.assertNotIn(ADMIN_PASS.encode(), fh.read())

    def test_vfat_logins_and_network(self):
        vm = self.boot("vfat")
        self.check_logins_and_network(vm, "vfat")


if __name__ == "__main__":
    unittest.main()
