"""PID 1 keeps the console alive, ignores `kill -9 1`, reaps orphans."""
import unittest

from lifeboat_vm import VM

PROMPT = r"lifeboat(\x1b\[0m)?:[^\n]*# "


class SupervisionTest(unittest.TestCase):
    def test_shell_respawn_pid1_immortal_and_reaping(self):
        with VM(name="supervision") as vm:
            vm.wait_ready(120)
            vm.wait_disks(600)  # disk work runs after `ready`
            out, rc = vm.sh("echo $$")
            old_shell = int(out)
            # The console shell dies: a new prompt appears and works.
            vm.send("kill -9 $$\n")
            vm.expect(r"service shell@ttyS0: killed by signal 9", 30)
            vm.expect(PROMPT, 30)
            out, rc = vm.sh("echo $$")
            self.assertNotEqual(int(out), old_shell)
            # SIGKILL to PID 1 does nothing.
            out, rc = vm.sh("kill -9 1; sleep 1; echo still here; cat /proc/1/comm")
            self.assertIn("still here", out)
            self.assertIn("init", out)
            # An orphan is re-parented to PID 1, exits, and is reaped.
            out, rc = vm.sh("sh -c 'sleep 1 & exit 0'; sleep 3; "
                            "grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l")
            self.assertEqual(out.strip(), "0")
            out, rc = vm.sh("sh -c 'sleep 1 & exec sleep 2' & sleep 4; "
                            "grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l")
            self.assertEqual(out.strip().splitlines()[-1], "0")


if __name__ == "__main__":
    unittest.main()
