"""SSH from the kernel command line alone: a key, a password hash, a static ip=; the host key
fingerprint on the console is the one the real OpenSSH client sees, no RSA key is offered or made
(a client preferring RSA still logs in); scp and sftp work.

One VM boot for the whole class (TCG boots are slow): every test method uses it.
"""
import hashlib
import os
import subprocess
import tempfile
import time
import unittest

from fixtures import disks
from fixtures.metadata import (console_fingerprints, host_fingerprints, sha512_crypt, ssh_keypair,
                               status_json, step, url_encode)
from lifeboat_vm import SCALE, VM

PASSWORD = "Lifeboat-cmdline-pw-7"


class SshCmdlineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="lifeboat-sshcmd-")
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.key, pub = ssh_keypair(cls.tmp.name)
        cls.payload = os.urandom(3 * 1024 * 1024 + 17)
        cls.disk = disks.ext4_image(os.path.join(cls.tmp.name, "guest.img"), 64, label="guestroot")
        # A binary file on the guest disk: written with debugfs (mkfs -d takes text here).
        src = os.path.join(cls.tmp.name, "payload.bin")
        with open(src, "wb") as fh:
            fh.write(cls.payload)
        disks.run("debugfs", "-w", "-R", f"write {src} payload.bin", cls.disk)
        disks.run("debugfs", "-w", "-R", "mkdir etc", cls.disk)
        append = (f"lifeboat.ssh_key={url_encode(pub)} lifeboat.password_hash={sha512_crypt(PASSWORD)} "
                  "ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off")
        cls.vm = VM(append=append, disks=[cls.disk], name="ssh-cmdline")
        cls.vm.start()
        cls.addClassCleanup(cls.vm.kill)
        cls.ready_s = cls.vm.wait_ready(120)
        cls.vm.wait_disks(600)  # disk work runs after `ready`
        t0 = time.monotonic()
        cls.vm.wait_ssh(key=cls.key, timeout=60)
        cls.ssh_s = cls.ready_s + (time.monotonic() - t0)
        print(f"\nssh-cmdline: ready after {cls.ready_s:.1f} s, first SSH login after {cls.ssh_s:.1f} s (TCG)")

    def test_key_login_and_console_lines(self):
        r = self.vm.ssh("echo ok", key=self.key)
        self.assertEqual(r.stdout.strip(), "ok")
        con = self.vm.console
        self.assertIn("lifeboat: net: eth0 52:54:00:12:34:56 10.0.2.15/24 gw 10.0.2.2 (static, cmdline)", con)
        self.assertIn("lifeboat: ssh: listening on port 22 (keys: 1, password: yes)", con)
        self.assertIn("lifeboat: ssh: if your client warns that the host key changed: ssh-keygen -R 10.0.2.15", con)
        self.assertNotIn("unknown key", con)  # lifeboat.password_hash etc. are known keys
        # Every line reaches dmesg too (no kmsg rate limit: before, 10 lines got through).
        dmesg = self.vm.ssh("dmesg", key=self.key).stdout
        self.assertIn("lifeboat: ssh: listening on port 22 (keys: 1, password: yes)", dmesg)
        self.assertIn("lifeboat: ready", dmesg)
        self.assertNotIn("suppressed due to ratelimiting", dmesg)

    def test_password_login_and_wrong_password(self):
        r = self.vm.ssh("id -u", password=PASSWORD)
        self.assertEqual(r.stdout.strip(), "0")
        r = self.vm.ssh("true", password=PASSWORD + "x", check=False)
        self.assertNotEqual(r.returncode, 0)

    def test_static_address(self):
        r = self.vm.ssh("ip -4 addr show dev eth0; ip route", key=self.key)
        self.assertIn("inet 10.0.2.15/24", r.stdout)
        self.assertIn("default via 10.0.2.2", r.stdout)

    def test_fingerprints_match_ssh_keyscan(self):
        printed = console_fingerprints(self.vm.console)
        self.assertEqual(set(printed), {"ED25519", "ECDSA"})
        seen = host_fingerprints(self.vm.ssh_port)
        for kind, fp in printed.items():
            self.assertEqual(seen.get(kind), fp, f"{kind}: console {fp}, ssh-keyscan {seen}")
        # Dropbear listens before the keys are made (-R), but never makes an RSA key itself:
        # the RSA scan found no key, and none was written.
        self.assertNotIn("RSA", seen)
        r = self.vm.ssh("ls /etc/dropbear", key=self.key)
        self.assertEqual(sorted(r.stdout.split()), ["dropbear_ecdsa_host_key", "dropbear_ed25519_host_key"])

    def test_client_preferring_rsa_logs_in(self):
        # A client whose known_hosts holds only the guest's own RSA key puts RSA first.
        # Dropbear has no RSA key: it used to offer rsa-sha2-256 anyway, choose it and close
        # the connection; it now offers ed25519 and ecdsa only (recipes/patches/dropbear).
        argv = ["ssh", "-o", "HostKeyAlgorithms=rsa-sha2-512,rsa-sha2-256,ssh-rsa,ssh-ed25519,ecdsa-sha2-nistp256",
                *self.vm.ssh_args(self.key), "root@127.0.0.1", "echo ok"]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60 * SCALE)
        self.assertEqual(r.stdout.strip(), "ok", r.stderr)

    def test_status_json(self):
        st = status_json(self.vm, key=self.key)
        self.assertEqual(st["ssh"]["port"], 22)
        self.assertEqual(st["ssh"]["authorized_keys"], 1)
        self.assertEqual(st["ssh"]["password"], {"set": True, "source": "cmdline", "kind": "hash"})
        self.assertEqual(st["config"]["password"]["source"], "cmdline")
        self.assertEqual(st["network"]["interfaces"][0]["addresses"], ["10.0.2.15/24"])
        self.assertEqual(st["network"]["interfaces"][0]["source"], "cmdline")
        self.assertEqual(step(st, "metadata imds")["result"], "skipped")
        self.assertNotIn("$6$", self.vm.ssh("rescue status --json", key=self.key).stdout)

    def test_scp_and_sftp_from_a_guest_disk(self):
        self.vm.ssh("mkdir -p /mnt/guest && mount -o ro /dev/vda /mnt/guest", key=self.key)
        local = os.path.join(self.tmp.name, "copied.bin")
        scp = ["scp", "-O", *self._scp_args(), f"root@127.0.0.1:/mnt/guest/payload.bin", local]
        r = subprocess.run(scp, capture_output=True, text=True, timeout=120 * SCALE)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(local, "rb") as fh:
            self.assertEqual(hashlib.sha256(fh.read()).hexdigest(), hashlib.sha256(self.payload).hexdigest())
        # sftp (Dropbear's subsystem: /usr/libexec/sftp-server)
        batch = os.path.join(self.tmp.name, "batch")
        with open(batch, "w") as fh:
            fh.write("ls -1 /mnt/guest\n")
        sftp = ["sftp", "-b", batch, *self._scp_args(), "root@127.0.0.1"]
        r = subprocess.run(sftp, capture_output=True, text=True, timeout=60 * SCALE)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("payload.bin", r.stdout)
        self.assertIn("lost+found", r.stdout)
        self.vm.ssh("umount /mnt/guest", key=self.key)

    def _scp_args(self):
        # ssh_args() uses -p PORT; scp and sftp want -P PORT.
        args = self.vm.ssh_args(self.key)
        i = args.index("-p")
        return args[:i] + ["-P", args[i + 1]] + args[i + 2:]


if __name__ == "__main__":
    unittest.main()
