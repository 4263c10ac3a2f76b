"""No network card at all: the network and IMDS steps say so at once, SSH is still set up
(for when a NIC is hot-plugged later... or not), and the boot reaches ready quickly. One boot."""
import json
import unittest

from lifeboat_vm import VM


class NoNicTest(unittest.TestCase):
    def test_ready_quickly_without_a_nic(self):
        with VM(net=False, name="no-nic") as vm:
            ready = vm.wait_ready(60)
            vm.wait_disks(600)  # disk work runs after `ready`
            print(f"\nno NIC: ready after {ready:.1f} s (TCG)")
            con = vm.console
            self.assertIn("lifeboat: network: skipped: no network interface", con)
            self.assertIn("lifeboat: metadata imds: skipped: no network address", con)
            self.assertIn("lifeboat: ssh: listening on port 22 (keys: 0, password: no)", con)
            self.assertIn("lifeboat: ssh: if your client warns that the host key changed: ssh-keygen -R <address>", con)
            out, rc = vm.sh("rescue status --json > /tmp/s.json; echo $?")
            self.assertEqual(out.strip().splitlines()[-1], "0")
            out, rc = vm.sh("grep -o '\"name\": \"network\"' /tmp/s.json | wc -l; grep -c dropbear /proc/*/comm 2>/dev/null | grep -c ':1'")
            self.assertEqual(out.split()[-2:], ["1", "1"])  # the step is recorded; Dropbear runs
            # status.json "network" section: no interface (the "config" section counts them: 0)
            out, rc = vm.sh("grep -c '\"interfaces\": \\[\\]' /tmp/s.json")
            self.assertEqual(out.strip().splitlines()[-1], "1")


if __name__ == "__main__":
    unittest.main()
