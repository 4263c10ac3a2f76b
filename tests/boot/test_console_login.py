"""`lifeboat.console=login`: the console asks for the root password instead of giving a shell."""
import time
import unittest

from fixtures.metadata import sha512_crypt
from lifeboat_vm import VM

PASSWORD = "console-Login-7"


class ConsoleLoginTest(unittest.TestCase):
    def test_login_prompt(self):
        append = f"lifeboat.console=login lifeboat.password_hash={sha512_crypt(PASSWORD)}"
        with VM(append=append, name="console-login") as vm:
            vm.wait_ready(120)
            vm.wait_disks(600)  # disk work runs after `ready`
            vm.expect(r"login: ", 30)
            vm.send("root\n")
            vm.expect(r"Password: ", 30)
            time.sleep(1)  # as a person would: login turns echo off just after its prompt
            vm.send("wrong-password\n")
            vm.expect(r"Login incorrect", 30)
            vm.expect(r"login: ", 30)
            vm.send("root\n")
            vm.expect(r"Password: ", 30)
            time.sleep(1)
            vm.send(PASSWORD + "\n")
            out, rc = vm.sh("echo $((6*7)); id -u", timeout=60)
            self.assertEqual(out.split(), ["42", "0"])
            self.assertNotIn(PASSWORD, vm.console)  # typed with echo off


if __name__ == "__main__":
    unittest.main()
