"""A service in a crash loop (a Dropbear stand-in that exits at once, put into the image with a
second initramfs archive) costs the console at most a few lines a minute; status.json counts
its restarts; the console shell works all along (issue 10)."""
import json
import os
import re
import tempfile
import time
import unittest

from lifeboat_vm import VM, overlay_initrd

DYING = "#!/bin/sh\necho 'dropbear stand-in: exiting at once' >&2\nexit 1\n"


class CrashLoopTest(unittest.TestCase):
    def test_dropbear_that_keeps_dying(self):
        with tempfile.TemporaryDirectory() as d:
            initrd = overlay_initrd(os.path.join(d, "initrd.img"), {"/usr/sbin/dropbear": (DYING, 0o755)})
            with VM(initrd=initrd, name="crash-loop") as vm:
                vm.wait_ready(120)
                start = len(vm.console)
                time.sleep(45)  # the backoff reaches 10 s: about 8 restarts
                out, rc = vm.sh("echo shell-works; cat /run/lifeboat/status.json", timeout=60)
                window = vm.console[start:]
            self.assertEqual(rc, 0)
            self.assertIn("shell-works", out)
            status = json.loads(out[out.index("{"):])
            restarts = status["services"]["dropbear"]["restarts"]
            lines = re.findall(r"lifeboat: service dropbear: exit status 1", window)
            print(f"crash loop: {restarts} restarts in ~45 s, {len(lines)} console lines")
            self.assertGreaterEqual(restarts, 5)
            self.assertLessEqual(len(lines), 3)
            self.assertEqual(status["services"]["dropbear"]["last_exit"], "exit status 1")
            self.assertIn("further restarts this minute are not shown", window)


if __name__ == "__main__":
    unittest.main()
