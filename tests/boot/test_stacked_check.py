"""Stacked guest layouts (issue 12), check and repair: md RAID1, LVM (RHEL-like XFS, Ubuntu-like
ext4), btrfs subvolumes (Fedora, openSUSE) and a locked LUKS2 container, built by
tests/fixtures/stacked.py inside lifeboat itself.

- check mode on every good layout at once: each filesystem `clean` in status.json, the guest
  roots found (btrfs: in their subvolume), md arrays read-only, every dm device read-only,
  the LUKS container waiting for `rescue unlock`; every image's sha256 unchanged;
- the corrupted XFS-on-LVM and ext4-on-md: `errors-found` in check mode (sha256 unchanged),
  `repaired` in repair mode, then `clean` in a second check-mode boot with the known files
  intact.
"""
import json
import os
import tempfile
import unittest

from fixtures import stacked
from lifeboat_vm import VM

GOOD = ("rhel-lvm", "ubuntu-lvm", "md-raid1", "fedora-btrfs", "opensuse-btrfs", "luks-lvm")
BAD = ("rhel-lvm-bad", "md-raid1-bad")
CHECKED_TYPES = ("ext4", "xfs", "btrfs")


def copy_layouts(names, tmp):
    disks = []
    for n in names:
        d = os.path.join(tmp, n)
        os.makedirs(d, exist_ok=True)
        disks += stacked.copy_layout(n, d)
    return disks


def status_on_console(vm) -> dict:
    out, rc = vm.sh("rescue status --json", timeout=60)
    assert rc == 0, out
    return json.loads(out[out.index("{"):])


def volumes_by_uuid(status: dict) -> dict:
    out: dict = {}
    for v in status["disks"]["volumes"]:
        if v.get("uuid"):
            out.setdefault(v["uuid"].lower(), []).append(v)
    return out


def fsck_state(status: dict, uuid: str) -> str:
    vols = volumes_by_uuid(status).get(uuid.lower())
    assert vols, f"no volume with UUID {uuid} in status.json"
    return vols[0]["fsck"]["state"]


class StackedCheck(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.m = stacked.build_all()

    def boot_and_status(self, disks, name, append="", mem=512):
        vm = VM(disks=disks, name=name, mem=mem, append=append)
        vm.start()
        vm.wait_ready(240)
        vm.wait_disks(900)
        return vm, status_on_console(vm)

    def poweroff(self, vm):
        vm.send("rescue poweroff\n")
        vm.wait_exit(120)

    def test_check_every_good_layout_read_only(self):
        with tempfile.TemporaryDirectory(prefix="lifeboat-stacked-") as tmp:
            disks = copy_layouts(GOOD, tmp)
            before = {d: stacked.sha256_file(d) for d in disks}
            vm, st = self.boot_and_status(disks, "stacked-check")
            try:
                # Every filesystem of every layout was checked and is clean.
                for layout in GOOD:
                    for key, vol in self.m[layout]["volumes"].items():
                        if vol["type"] not in CHECKED_TYPES:
                            continue
                        if layout == "luks-lvm" and key == "root":
                            continue  # behind the passphrase
                        with self.subTest(layout=layout, fs=key):
                            self.assertEqual(fsck_state(st, vol["uuid"]), "clean")
                # The stacks: LVs and md arrays, with what they sit on.
                stacks = {v["name"]: v["stack"] for v in st["disks"]["volumes"] if v.get("stack")}
                whats = sorted(s["what"] for s in stacks.values())
                self.assertIn("LVM rhel/root", whats)
                self.assertIn("LVM ubuntu-vg/ubuntu-lv", whats)
                self.assertEqual(sum(w.startswith("md raid1") for w in whats), 2, whats)
                # The guest roots, btrfs ones in their subvolume, fstab specs resolved.
                guests = {g["pretty_name"]: g for g in st["disks"]["guests"]}
                for layout in ("rhel-lvm", "ubuntu-lvm", "md-raid1", "fedora-btrfs", "opensuse-btrfs"):
                    pretty = [line.split("=", 1)[1].strip('"') for line in self.m[layout]["os_release"].splitlines()
                              if line.startswith("PRETTY_NAME=")][0]
                    with self.subTest(guest=layout):
                        self.assertIn(pretty, guests)
                        root_entry = [e for e in guests[pretty]["fstab"] if e["mountpoint"] == "/"][0]
                        self.assertIsNotNone(root_entry["volume"], root_entry)
                fedora = [g for g in guests.values() if g["id"] == "fedora"][0]
                self.assertEqual(fedora["subvol"], "root")
                # The LUKS container waits for its passphrase.
                luks = [v for v in st["disks"]["volumes"] if v["type"] == "crypto_LUKS"]
                self.assertEqual(len(luks), 1)
                self.assertIn("rescue unlock", luks[0]["fsck"]["reason"])
                # Read-only all the way down.
                out, rc = vm.sh("cat /sys/block/dm-*/ro | sort -u; cat /sys/block/md*/md/array_state | sort -u")
                self.assertEqual(rc, 0, out)
                self.assertEqual(out.split(), ["1", "readonly"])
            finally:
                self.poweroff(vm)
                vm.kill()
            after = {d: stacked.sha256_file(d) for d in disks}
            self.assertEqual(before, after, "check mode wrote to a guest disk")

    def test_corrupted_lvm_xfs_and_md_ext4_found_then_repaired(self):
        with tempfile.TemporaryDirectory(prefix="lifeboat-stacked-") as tmp:
            disks = copy_layouts(BAD, tmp)
            before = {d: stacked.sha256_file(d) for d in disks}
            roots = {layout: self.m[layout]["volumes"]["root"]["uuid"] for layout in BAD}

            # Check mode: found, and nothing written.
            vm, st = self.boot_and_status(disks, "stacked-bad-check")
            try:
                for layout, uuid in roots.items():
                    self.assertEqual(fsck_state(st, uuid), "errors-found", layout)
                self.assertEqual(fsck_state(st, self.m["rhel-lvm-bad"]["volumes"]["boot"]["uuid"]), "clean")
            finally:
                self.poweroff(vm)
                vm.kill()
            self.assertEqual(before, {d: stacked.sha256_file(d) for d in disks}, "check mode wrote to a guest disk")

            # Repair mode: the stacks come up read-write and the checkers repair.
            vm, st = self.boot_and_status(disks, "stacked-bad-repair", append="lifeboat.fsck=repair")
            try:
                for layout, uuid in roots.items():
                    self.assertEqual(fsck_state(st, uuid), "repaired", layout)
            finally:
                self.poweroff(vm)
                vm.kill()

            # A second boot in check mode says clean, and the known files are intact.
            vm, st = self.boot_and_status(disks, "stacked-bad-verify")
            try:
                for layout, uuid in roots.items():
                    self.assertEqual(fsck_state(st, uuid), "clean", layout)
                for layout in BAD:
                    m = self.m[layout]
                    touched = set(m.get("corruption", {}).get("touched", {}))
                    dev = volumes_by_uuid(st)[roots[layout].lower()][0]["path"]
                    out, rc = vm.sh(f"mkdir -p /mnt/{layout} && mount -o ro {dev} /mnt/{layout} && echo mounted")
                    self.assertIn("mounted", out)
                    for path, digest in m["files"].items():
                        if path in touched or path.startswith("/boot/") or digest is None:
                            continue
                        with self.subTest(layout=layout, file=path):
                            out, rc = vm.sh(f"sha256sum '/mnt/{layout}{path}'")
                            self.assertEqual(rc, 0, out)
                            self.assertEqual(out.split()[0], digest)
                    vm.sh(f"umount /mnt/{layout}")
            finally:
                self.poweroff(vm)
                vm.kill()


if __name__ == "__main__":
    unittest.main()
