"""Issue 15, the EFI variant: the rescue system started by OVMF (UEFI firmware, its variable
store in a file) through the kernel's EFI stub. Inside `rescue chroot` efivarfs is mounted,
the guest's ESP is at /boot/efi, and the guest's own `grub-install --target=x86_64-efi`
installs GRUB there and writes the firmware's boot entry (efibootmgr lists it; the host finds
the file on the ESP)."""
import os
import shutil
import tempfile
import unittest

from fixtures import debian_guest, rescue_guest as rg
from fixtures.disks import run
from fixtures.metadata import ssh_keypair
from test_boot_repair_bios import chroot, repair_vm

OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
VMLINUZ = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "out", "vmlinuz")


def has_efi_stub(path: str) -> bool:
    """A bzImage with CONFIG_EFI_STUB is also a PE image: "MZ" and a PE header."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    if head[:2] != b"MZ":
        return False
    pe = int.from_bytes(head[0x3c:0x40], "little")
    return head[pe:pe + 4] == b"PE\0\0"


@unittest.skipUnless(os.path.exists(OVMF_CODE), "no OVMF (Debian package ovmf: tools/install-deps)")
@unittest.skipUnless(has_efi_stub(VMLINUZ), "the image's kernel has no EFI stub (kernel-config/lifeboat.config: "
                     "CONFIG_EFI is off until the 48 MiB boot has room for it)")
class BootRepairEfiTest(unittest.TestCase):
    def test_grub_install_efi(self):
        with tempfile.TemporaryDirectory(prefix="lifeboat-bootrepair-efi-") as tmp:
            disk = os.path.join(tmp, "debian-boot.img")
            parts = debian_guest.build_bootable(disk)
            vars_fd = os.path.join(tmp, "OVMF_VARS.fd")
            shutil.copy(OVMF_VARS, vars_fd)
            key, pub = ssh_keypair(tmp)
            pflash = ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
                      "-drive", f"if=pflash,format=raw,unit=1,file={vars_fd}"]
            vm, _ = repair_vm(disk, tmp, pub, extra=pflash)
            with vm:
                vm.wait_ready(300)
                vm.wait_disks(600)
                vm.wait_ssh(key=key)
                self.assertEqual(vm.ssh("test -d /sys/firmware/efi && echo efi", key=key).stdout.strip(), "efi")
                r = chroot(vm, key, "grep -E ' /sys/firmware/efi/efivars | /boot/efi ' /proc/self/mounts", timeout=120)
                self.assertIn("efivarfs /sys/firmware/efi/efivars efivarfs", r.stdout)
                self.assertRegex(r.stdout, r"/dev/vda2 /boot/efi vfat")
                r = chroot(vm, key, "grub-install --target=x86_64-efi")
                self.assertIn("No error reported", r.stdout + r.stderr)
                r = chroot(vm, key, "efibootmgr", timeout=120)
                self.assertRegex(r.stdout, r"Boot[0-9A-F]{4}\* debian")
                # Nothing of the session stays mounted.
                self.assertEqual(vm.ssh("grep -c ' /mnt/guest' /proc/mounts || true", key=key).stdout.strip(), "0")
                vm.send("rescue poweroff\n")
                vm.wait_exit(120)
            esp = rg.extract(disk, parts["esp"], os.path.join(tmp, "esp.img"))
            listing = run("mdir", "-i", esp, "-b", "::/EFI/debian").stdout
            self.assertIn("grubx64.efi", listing)


if __name__ == "__main__":
    unittest.main()
