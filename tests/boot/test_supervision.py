"""PID 1's supervision: the console shell and Dropbear are restarted (counted in status.json),
the signals PID 1 ignores leave its loop working, orphans are reaped.

(`kill -9 1` proves nothing: the kernel never delivers SIGKILL to any init.)"""
import json
import unittest

from lifeboat_vm import VM

PROMPT = r"lifeboat(\x1b\[0m)?:[^\n]*# "


class SupervisionTest(unittest.TestCase):
    def test_respawns_counted_ignored_signals_and_reaping(self):
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
            # Dropbear killed: PID 1 restarts it and counts it in status.json.
            def dropbear():
                out, rc = vm.sh("rescue status --json", timeout=60)
                return json.loads(out[out.index("{"):])["services"]["dropbear"]

            def kill_and_wait_restart(old):
                vm.sh(f"kill -9 {old['pid']}")
                new = old
                for _ in range(30):
                    new = dropbear()
                    if new["running"] and new["pid"] != old["pid"]:
                        break
                    vm.sh("sleep 1")
                self.assertTrue(new["running"], new)
                self.assertNotEqual(new["pid"], old["pid"])
                self.assertEqual(new["restarts"], old["restarts"] + 1, new)
                return new

            before = dropbear()
            self.assertTrue(before["running"], before)
            after = kill_and_wait_restart(before)
            vm.expect(r"service dropbear: killed by signal 9", 30, since_start=True)
            self.assertIsNotNone(after["last_exit"], after)
            # The signals PID 1 ignores (SIGHUP, SIGQUIT, SIGPIPE, SIGWINCH) start no shutdown
            # and leave its loop at work: the next restart is counted too.
            vm.sh("kill -HUP 1; kill -QUIT 1; kill -PIPE 1; kill -WINCH 1; sleep 1")
            self.assertNotRegex(vm.tail(4000), r"lifeboat: shutdown:")
            kill_and_wait_restart(after)
            # An orphan is re-parented to PID 1, exits, and is reaped.
            out, rc = vm.sh("sh -c 'sleep 1 & exit 0'; sleep 3; "
                            "grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l")
            self.assertEqual(out.strip(), "0")
            out, rc = vm.sh("sh -c 'sleep 1 & exec sleep 2' & sleep 4; "
                            "grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l")
            self.assertEqual(out.strip().splitlines()[-1], "0")


if __name__ == "__main__":
    unittest.main()
