"""vfat (e.g. an EFI system partition): checked without writing, repaired on request."""
import hashlib
import os
import struct
import subprocess
import tempfile
import unittest

from lifeboat_vm import VM


def vfat_image(path: str, label: str) -> str:
    with open(path, "wb") as fh:
        fh.truncate(32 * 1024 * 1024)
    subprocess.run(["mkfs.vfat", "-F", "16", "-n", label, path], check=True, capture_output=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
        f.write("kept\n")
        f.flush()
        subprocess.run(["mcopy", "-i", path, f.name, "::/KEPT.TXT"], check=True, capture_output=True)
    return path


def break_second_fat(path: str) -> None:
    """Deterministic damage: the two FAT copies differ (fsck.fat: 'FATs differ')."""
    with open(path, "r+b") as fh:
        boot = fh.read(512)
        bps, = struct.unpack_from("<H", boot, 11)
        reserved, = struct.unpack_from("<H", boot, 14)
        fat_sectors, = struct.unpack_from("<H", boot, 22)
        fh.seek((reserved + fat_sectors) * bps + 64)
        fh.write(b"\xff\xff")


def sha(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def host_check(path):
    return subprocess.run(["fsck.vfat", "-n", path], capture_output=True, text=True)


class VfatTest(unittest.TestCase):
    def test_check_then_repair(self):
        with tempfile.TemporaryDirectory() as tmp:
            bad = vfat_image(os.path.join(tmp, "bad.img"), "ESPBAD")
            good = vfat_image(os.path.join(tmp, "good.img"), "ESPGOOD")
            break_second_fat(bad)
            self.assertNotEqual(host_check(bad).returncode, 0)
            before = {p: sha(p) for p in (bad, good)}
            with VM(disks=[bad, good], name="vfat-check") as vm:
                vm.wait_ready(120)
                vm.wait_disks(600)  # disk work runs after `ready`
                con = vm.console
                self.assertRegex(con, r"lifeboat: fsck: vda vfat errors-found \(fsck\.\w+ exit 1\)")
                self.assertRegex(con, r"lifeboat: fsck: vdb vfat clean \(fsck\.\w+ exit 0\)")
            self.assertEqual({p: sha(p) for p in (bad, good)}, before, "check mode wrote to a disk")
            with VM(disks=[bad], append="lifeboat.fsck.ESPBAD=repair", name="vfat-repair") as vm:
                vm.wait_ready(120)
                vm.wait_disks(600)  # disk work runs after `ready`
                self.assertRegex(vm.console, r"lifeboat: fsck: vda vfat repaired")
                vm.send("poweroff\n")
                vm.wait_exit(30)
            r = host_check(bad)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            out = subprocess.run(["mtype", "-i", bad, "::/KEPT.TXT"], capture_output=True, text=True)
            self.assertEqual(out.stdout.strip(), "kept")


if __name__ == "__main__":
    unittest.main()
