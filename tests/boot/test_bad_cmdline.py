"""Garbage on the kernel command line gives clear errors and the boot still completes."""
import unittest

from lifeboat_vm import VM


class BadCmdlineTest(unittest.TestCase):
    def test_banana_and_unbalanced_quotes(self):
        with VM(append='lifeboat.fsck=banana lifeboat.hostname="never closed', name="badcmd") as vm:
            vm.wait_ready(120)
            vm.wait_disks(600)  # disk work runs after `ready`
            con = vm.console
            self.assertRegex(con, r"lifeboat: error: cmdline: lifeboat\.fsck: .*banana")
            self.assertRegex(con, r"lifeboat: error: cmdline: .*quote")
            out, rc = vm.sh("rescue status --json | grep -c banana")
            self.assertEqual(rc, 0)
            out, rc = vm.sh("echo $((6*7))")
            self.assertEqual(out, "42")


if __name__ == "__main__":
    unittest.main()
