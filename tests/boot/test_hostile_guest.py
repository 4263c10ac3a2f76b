"""The guest is hostile input (issue 11). One boot with two guest disks:

vda (GPT): partition 1 the guest root, whose PRETTY_NAME carries terminal escape sequences,
  whose fstab mounts partition 2 (label "attacker") on /srv, and /srv is an absolute symlink
  to /root/.ssh; partition 2 holds an authorized_keys with the attacker's key; partition 3 is
  a planted vfat "cidata" seed whose user-data authorizes the attacker's key.
The guest's /home/alice links to /root, /etc/ufw to /root/.ssh and /etc/shadow to
/root/.ssh/shadow: `rescue authorize-key alice` and `rescue firewall-off` edit the guest's files, never the
rescue system's; `rescue passwd` refuses a shadow that is a link.
vdb (whole-disk ext4, label with an escape sequence): a guest root whose /etc/os-release is
  a FIFO and whose /etc/fstab is a character device.

Asserted: SSH with the admin's key at once; the guest names reach the console escaped; the
FIFO/device guest is named in status.json with its problems (no hang); the planted cidata
is reported and ignored, and vda is still checked; after `rescue mount --guest` the
attacker's key still cannot log in and the rescue system's authorized_keys is unchanged;
every image's sha256 is unchanged in check mode (before the rw mount).
"""
import json
import os
import subprocess
import tempfile
import unittest

from fixtures.disks import _place, run, sha256_file
from fixtures.metadata import ssh_keypair, url_encode
from lifeboat_vm import VM

PRETTY = "Evil\x1b[2J\x1b]0;pwned\x07 OS\u202etxt.exe"  # RLO: would show "exe.txt"
LABEL = "x\x1b[31mred"


def mkfs_ext4(path, size_mb, tree, label):
    with open(path, "wb") as fh:
        fh.truncate(size_mb << 20)
    run("mkfs.ext4", "-q", "-F", "-L", label, "-d", tree, path)


def write(root, rel, text, mode=0o644):
    p = os.path.join(root, rel.lstrip("/"))
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as fh:
        fh.write(text)
    os.chmod(p, mode)


def hostile_gpt(path, d, attacker_pub):
    root, data = os.path.join(d, "root"), os.path.join(d, "data")
    write(root, "/etc/os-release", f'PRETTY_NAME="{PRETTY}"\nID=evil\n')
    write(root, "/etc/fstab", "LABEL=groot / ext4 defaults 0 1\nLABEL=attacker /srv ext4 defaults 0 2\n")
    write(root, "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n")
    os.makedirs(os.path.join(root, "root/.ssh"))
    os.symlink("/root/.ssh", os.path.join(root, "srv"))
    os.makedirs(os.path.join(root, "home"))
    os.symlink("/root", os.path.join(root, "home/alice"))    # authorize-key alice: the guest's /root
    os.symlink("/root/.ssh", os.path.join(root, "etc/ufw"))  # firewall-off: the guest's /root/.ssh
    write(data, "/authorized_keys", attacker_pub + "\n", 0o600)
    write(data, "/ufw.conf", "ENABLED=yes\n")
    write(data, "/shadow", "root:*:19700:0:99999:7:::\nalice:!:19700:0:99999:7:::\n", 0o640)
    os.symlink("/root/.ssh/shadow", os.path.join(root, "etc/shadow"))  # passwd: the guest's file
    seed = os.path.join(d, "seed.img")
    with open(seed, "wb") as fh:
        fh.truncate(4 << 20)
    run("mkfs.vfat", "-n", "CIDATA", seed)
    ud, md = os.path.join(d, "user-data"), os.path.join(d, "meta-data")
    write(d, "/user-data", f"#cloud-config\nssh_authorized_keys:\n  - {attacker_pub}\n")
    write(d, "/meta-data", "instance-id: planted\n")
    run("mcopy", "-i", seed, ud, md, "::")
    with open(path, "wb") as fh:
        fh.truncate(64 << 20)
    run("sgdisk", "-n", "1:2048:+32M", "-c", "1:root", "-n", "2:0:+16M", "-c", "2:data",
        "-n", "3:0:+4M", "-c", "3:seed", "-t", "3:0700", path)
    offs = []
    for n in (1, 2, 3):
        info = run("sgdisk", "-i", str(n), path).stdout
        offs.append(int(info.split("First sector:")[1].split()[0]) * 512)
    p1, p2 = os.path.join(d, "p1"), os.path.join(d, "p2")
    mkfs_ext4(p1, 32, root, "groot")
    mkfs_ext4(p2, 16, data, "attacker")
    for src, off in ((p1, offs[0]), (p2, offs[1]), (seed, offs[2])):
        _place(src, path, off)


def fifo_guest(path, d):
    root = os.path.join(d, "fifo-root")
    os.makedirs(os.path.join(root, "etc"))
    os.mkfifo(os.path.join(root, "etc/os-release"))
    os.mknod(os.path.join(root, "etc/fstab"), 0o644 | 0o020000, os.makedev(1, 5))  # /dev/zero
    mkfs_ext4(path, 16, root, LABEL)


class HostileGuestTest(unittest.TestCase):
    def test_hostile_guest(self):
        with tempfile.TemporaryDirectory(prefix="lifeboat-hostile-") as d:
            admin_key, admin_pub = ssh_keypair(d, "admin")
            evil_key, evil_pub = ssh_keypair(d, "evil")
            vda, vdb = os.path.join(d, "vda.img"), os.path.join(d, "vdb.img")
            hostile_gpt(vda, d, evil_pub)
            fifo_guest(vdb, d)
            sums = {p: sha256_file(p) for p in (vda, vdb)}
            with VM(disks=[vda, vdb], mem=384, name="hostile",
                    append=f"lifeboat.ssh_key={url_encode(admin_pub)}") as vm:
                ready = vm.wait_ready(240)
                vm.wait_ssh(key=admin_key, timeout=120)
                vm.wait_disks(400)
                r = vm.ssh("rescue status --json", key=admin_key)
                status = json.loads(r.stdout[r.stdout.index("{"):])
                evil_before = vm.ssh("true", key=evil_key, check=False, timeout=30)
                sums_check = {p: sha256_file(p) for p in (vda, vdb)}
                keys_before = vm.ssh("sha256sum /root/.ssh/authorized_keys", key=admin_key).stdout
                mount = vm.ssh("rescue mount --guest --rw; grep /mnt/guest /proc/mounts", key=admin_key,
                               check=False)
                guest_key, guest_pub = ssh_keypair(d, "guestuser")
                shadow_before = vm.ssh("sha256sum /etc/shadow", key=admin_key).stdout.split()[0]
                edits = vm.ssh(f"echo 'Guest-pw-1' | rescue passwd; grep -c '^root:\\$6\\$' /mnt/guest/etc/shadow; "
                               f"rescue authorize-key alice '{guest_pub}'; rescue firewall-off; "
                               "cat /mnt/guest/root/.ssh/ufw.conf; ls -a /root/.ssh", key=admin_key, check=False)
                guest_in_rescue = vm.ssh("true", key=guest_key, check=False, timeout=30)
                shadow_after = vm.ssh("sha256sum /etc/shadow", key=admin_key).stdout.split()[0]
                evil_after = vm.ssh("true", key=evil_key, check=False, timeout=30)
                keys_after = vm.ssh("sha256sum /root/.ssh/authorized_keys; ls /mnt/guest/root/.ssh",
                                    key=admin_key).stdout
                vm.ssh("rescue umount", key=admin_key, check=False)
                console = vm.console
            print(f"hostile guest: ready {ready:.1f} s")
            # Escaped on the console, never raw.
            self.assertNotIn("Evil\x1b", console)
            self.assertIn("Evil\\x1b[2J\\x1b]0;pwned\\x07 OS\\xe2\\x80\\xaetxt.exe", console)
            self.assertNotIn("\u202e", console)
            # status.json is ASCII (valid JSON through the escaping); the value itself is kept.
            self.assertTrue(r.stdout.isascii())
            self.assertIn(PRETTY, [g["pretty_name"] for g in status["disks"]["guests"]])
            self.assertNotIn("x\x1b[31mred", console)
            # The FIFO/device guest: named, with its problems; nothing hung.
            problems = "\n".join(status["disks"]["problems"])
            self.assertIn("vdb: /etc/os-release: not a regular file", problems)
            self.assertIn("vdb: /etc/fstab: not a regular file", problems)
            self.assertIn("vdb", [g["volume"] for g in status["disks"]["guests"]])
            # The planted cidata: reported, ignored; vda still a guest disk, checked.
            self.assertIn("vda3: labelled CIDATA on a partition: not a metadata drive", problems)
            vols = {v["name"]: v for v in status["disks"]["volumes"]}
            self.assertIn(vols["vda1"]["fsck"]["state"], ("clean", "errors-found"))
            self.assertNotEqual(evil_before.returncode, 0, "the planted seed's key logged in")
            self.assertEqual(sums_check, sums, "check mode wrote to a guest disk")
            # The symlinked mount point: the attacker's key lands in the guest's /root/.ssh.
            self.assertIn("/mnt/guest/root/.ssh", mount.stdout + mount.stderr)
            self.assertNotEqual(evil_after.returncode, 0, "the attacker's key logged in to the rescue system")
            self.assertEqual(keys_before.split()[0], keys_after.split()[0])
            self.assertIn("authorized_keys", keys_after)
            # authorize-key and firewall-off followed the guest's links inside the guest only.
            # A shadow that is a link is refused (never followed out, never replaced blindly).
            self.assertIn("/etc/shadow: not a regular file (refusing to replace it)", edits.stderr)
            self.assertEqual(shadow_before, shadow_after, "rescue passwd changed the rescue system's /etc/shadow")
            self.assertIn("rescue: authorize-key: added", edits.stdout, edits.stdout + edits.stderr)
            self.assertIn("ENABLED=no", edits.stdout, edits.stdout + edits.stderr)
            self.assertNotIn("ufw.conf", edits.stdout.split("ENABLED=no")[-1])  # not in the rescue /root/.ssh
            self.assertNotEqual(guest_in_rescue.returncode, 0, "a key given to the guest logged in to the rescue system")


if __name__ == "__main__":
    unittest.main()
