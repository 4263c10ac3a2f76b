"""The image boots to `lifeboat: ready` with 64 MiB of guest RAM."""
import unittest

from lifeboat_vm import VM


class SmallRamTest(unittest.TestCase):
    def test_64mib(self):
        with VM(mem=64, name="ram64") as vm:
            vm.wait_ready(120)
            vm.wait_disks(600)  # disk work runs after `ready`
            out, rc = vm.sh("grep MemTotal /proc/meminfo")
            self.assertEqual(rc, 0)
            print(out)


if __name__ == "__main__":
    unittest.main()
