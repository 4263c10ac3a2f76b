"""Issue 15: repair a real Debian 12 guest's boot from the rescue system, then boot it.

The guest (tests/fixtures/debian_guest.py build_bootable: debootstrap with a kernel,
systemd and grub-pc, cached) is broken on purpose: its initramfs deleted, grub.cfg pointing at
a root UUID no filesystem has, no boot code in the MBR, /etc/resolv.conf a link to
systemd-resolved's stub in /run. Over SSH: `rescue boot-info` names the faults; inside
`rescue chroot` names resolve through the rescue system's resolver (a DNS responder on the host
side, reached through a QEMU guestfwd); the guest's own update-initramfs, update-grub and
grub-install repair it. After a clean poweroff the host checks the resolv.conf link is as it
was, and the same disk boots on its own (SeaBIOS, no -kernel) to the guest's login prompt."""
import os
import re
import sys
import tempfile
import unittest
import urllib.parse

from fixtures import debian_guest, rescue_guest as rg
from fixtures.metadata import ssh_keypair
from lifeboat_vm import VM

RESPONDER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures",
                         "dns_responder.py")
DNS = "10.0.2.100"


def repair_vm(disk: str, tmp: str, pub: str, extra=()) -> tuple[VM, str]:
    log = os.path.join(tmp, "dns.log")
    open(log, "w").close()
    vm = VM(disks=[disk], name="boot-repair", mem=1024, extra=list(extra), limit=1800,
            guestfwd=f"tcp:{DNS}:53-cmd:{sys.executable} {RESPONDER} {log}",
            append=f"nameserver={DNS} lifeboat.ssh_key=" + urllib.parse.quote(pub, safe=""))
    return vm, log


def chroot(vm: VM, key: str, cmd: str, timeout: float = 900):
    r = vm.ssh("rescue chroot " + cmd, key=key, timeout=timeout, check=False)
    if r.returncode != 0:
        raise AssertionError(f"rescue chroot {cmd}: exit {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r


def check_dns_and_resolv_link(test: unittest.TestCase, vm: VM, key: str, log: str) -> None:
    # guestfwd carries TCP only: the rescue system's resolver is asked over TCP.
    vm.ssh("echo 'options use-vc' >> /etc/resolv.conf", key=key)
    r = chroot(vm, key, "getent ahostsv4 mirror.lifeboat.test", timeout=120)
    test.assertIn("192.0.2.53", r.stdout)
    test.assertIn("the rescue system's resolvers for this session (over /run/systemd/resolve/stub-resolv.conf)",
                  r.stderr)
    with open(log) as fh:
        test.assertIn("mirror.lifeboat.test 1", fh.read())
    r = chroot(vm, key, "readlink /etc/resolv.conf", timeout=120)
    test.assertEqual(r.stdout.strip(), debian_guest.RESOLV_LINK)
    # Nothing of the session is left in the rescue system's /run.
    test.assertEqual(vm.ssh("ls /run/systemd 2>&1 || true", key=key).stdout.strip(),
                     "ls: /run/systemd: No such file or directory")


class BootRepairBiosTest(unittest.TestCase):
    def test_repair_and_boot(self):
        with tempfile.TemporaryDirectory(prefix="lifeboat-bootrepair-") as tmp:
            disk = os.path.join(tmp, "debian-boot.img")
            parts = debian_guest.build_bootable(disk)
            version = parts["version"]
            key, pub = ssh_keypair(tmp)
            vm, log = repair_vm(disk, tmp, pub)
            with vm:
                vm.wait_ready(180)
                vm.wait_disks(600)
                vm.wait_ssh(key=key)
                info = vm.ssh("rescue boot-info", key=key, timeout=180).stdout
                print("\n" + info)
                self.assertIn(f"initrd.img-{version} is missing", info)
                self.assertIn(f"fix: rescue chroot update-initramfs -c -k {version}", info)
                self.assertIn(f"root=UUID={debian_guest.WRONG_ROOT_UUID} matches no filesystem", info)
                self.assertIn("no disk has GRUB in its MBR", info)

                check_dns_and_resolv_link(self, vm, key, log)

                # The repairs, with the guest's own tools. `update-initramfs -u -k all` is the
                # usual command and succeeds, but Debian's update-initramfs only remakes images
                # that exist (its version list is the kernels WITH an initrd.img): the deleted one
                # is still missing afterwards, and boot-info's fix (-c, create) makes it.
                chroot(vm, key, "update-initramfs -u -k all")
                info = vm.ssh("rescue boot-info", key=key, timeout=180).stdout
                self.assertIn(f"initrd.img-{version} is missing", info)
                chroot(vm, key, f"update-initramfs -c -k {version}")
                r = chroot(vm, key, "update-grub")
                self.assertIn(f"Found initrd image: /boot/initrd.img-{version}", r.stderr + r.stdout)
                chroot(vm, key, "grub-install /dev/vda")
                info = vm.ssh("rescue boot-info", key=key, timeout=180).stdout
                print(info)
                self.assertIn("no problem found", info)
                self.assertIn("GRUB boot code in the MBR", info)
                vm.send("rescue poweroff\n")
                vm.wait_exit(120)

            root = rg.extract(disk, parts["root"], os.path.join(tmp, "root.img"))
            st = rg.debugfs(root, "stat /etc/resolv.conf")
            self.assertIn(f'Fast link dest: "{debian_guest.RESOLV_LINK}"', st)
            boot = rg.extract(disk, parts["boot"], os.path.join(tmp, "boot.img"))
            cfg = rg.debugfs(boot, "cat /grub/grub.cfg")
            self.assertIn(f"root=UUID={debian_guest.BOOTABLE_ROOT_UUID}", cfg)
            self.assertNotIn(debian_guest.WRONG_ROOT_UUID, cfg)
            os.remove(root)
            os.remove(boot)

            # The repaired disk boots on its own: SeaBIOS -> GRUB (MBR + BIOS boot partition)
            # -> the guest's kernel and new initramfs -> systemd -> a getty on ttyS0.
            with VM(disks=[disk], name="repaired-guest", mem=1024, net=False, boot_from_disk=True,
                    limit=1200) as guest:
                guest.expect(r"GNU GRUB|Booting", 300)
                guest.expect(r"lifeboat-guest login:", 900)
                con = guest.console
                self.assertIn(f"Linux version {version.split('-')[0]}", con)
                self.assertRegex(con, re.escape(f"root=UUID={debian_guest.BOOTABLE_ROOT_UUID}"))


if __name__ == "__main__":
    unittest.main()
