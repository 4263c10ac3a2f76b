"""EC2 IMDSv2: a responder on 169.254.169.254:80 (QEMU guestfwd, one process per connection)
hands out a token, a key and a hostname; a VM where nothing answers IMDS still reaches ready
in the normal time and says IMDS was skipped. Two boots.

guestfwd only accepts addresses inside the user network, so these VMs use 169.254.0.0/16.
"""
import json
import os
import sys
import tempfile
import time
import unittest

from fixtures.metadata import ssh_keypair, status_json, step
from lifeboat_vm import VM

LINK_LOCAL_NET = "net=169.254.0.0/16,host=169.254.0.2,dhcpstart=169.254.0.15"
RESPONDER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures",
                         "imds_responder.py")


class ImdsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="lifeboat-imds-")
        self.addCleanup(self.tmp.cleanup)

    def test_token_keys_and_hostname(self):
        key, pub = ssh_keypair(self.tmp.name)
        log = os.path.join(self.tmp.name, "requests.log")
        cfg = os.path.join(self.tmp.name, "imds.json")
        with open(cfg, "w") as fh:
            json.dump({"token": "AQAEAlifeboat-token-0123456789", "keys": [pub],
                       "hostname": "ip-169-254-0-15.ec2.internal", "instance_id": "i-0123456789abcdef0",
                       "log": log}, fh)
        fwd = f"tcp:169.254.169.254:80-cmd:{sys.executable} {RESPONDER} {cfg}"
        with VM(user_net=LINK_LOCAL_NET, guestfwd=fwd, name="imds") as vm:
            ready = vm.wait_ready(120)
            vm.wait_disks(600)  # disk work runs after `ready`
            t0 = time.monotonic()
            vm.wait_ssh(key=key, timeout=60)
            print(f"\nimds: ready after {ready:.1f} s, first SSH login after "
                  f"{ready + time.monotonic() - t0:.1f} s (TCG)")
            self.assertEqual(vm.ssh("echo ok", key=key).stdout.strip(), "ok")
            con = vm.console
            self.assertRegex(con, r"lifeboat: metadata imds: ok: 169\.254\.169\.254:80: hostname ip-169-254-0-15")
            self.assertIn("lifeboat: net: eth0 52:54:00:12:34:56 169.254.0.15/16 (dhcp)", con)
            self.assertNotIn("lifeboat-token", con)
            st = status_json(vm, key=key)
            self.assertEqual(step(st, "metadata imds")["result"], "ok")
            self.assertEqual([k["source"] for k in st["config"]["ssh_keys"]], ["imds"])
            self.assertEqual(st["config"]["instance_id"]["value"], "i-0123456789abcdef0")
            self.assertEqual(st["ssh"]["password"], {"set": False})
            # Dropbear listened before the network, with no key; the key IMDS gave reached
            # authorized_keys without a restart (the login above used it).
            self.assertEqual(step(st, "ssh")["detail"].split(",")[2].strip(), "0 authorized keys")
            self.assertTrue(step(st, "ssh update")["detail"].startswith("files rewritten; port 22"),
                            step(st, "ssh update"))
            self.assertEqual(st["ssh"]["authorized_keys"], 1)
            self.assertIn("ip-169-254-0-15", vm.ssh("hostname", key=key).stdout)
            self.assertNotIn("lifeboat-token", json.dumps(st))
        with open(log) as fh:
            reqs = [json.loads(line) for line in fh]
        self.assertTrue(reqs[0]["request"].startswith("PUT /latest/api/token "))
        self.assertIn("x-aws-ec2-metadata-token-ttl-seconds", reqs[0]["headers"])
        for r in reqs[1:]:
            self.assertTrue(r["request"].startswith("GET "), r)
            self.assertEqual(r["headers"].get("x-aws-ec2-metadata-token"), "AQAEAlifeboat-token-0123456789")

    def test_nothing_answers(self):
        key, pub = ssh_keypair(self.tmp.name)
        from fixtures.metadata import url_encode
        with VM(user_net=LINK_LOCAL_NET, append=f"lifeboat.ssh_key={url_encode(pub)}", name="imds-none") as vm:
            ready = vm.wait_ready(60)
            vm.wait_disks(600)  # disk work runs after `ready`
            print(f"\nimds (nothing answers): ready after {ready:.1f} s (TCG)")
            m = vm.expect(r"lifeboat: metadata imds: skipped: not on EC2 \(([^)]*)\)", 5, since_start=True)
            print(f"imds skipped: {m.group(1).decode()}")
            vm.wait_ssh(key=key, timeout=60)
            st = status_json(vm, key=key)
            s = step(st, "metadata imds")
            self.assertEqual(s["result"], "skipped")
            self.assertIn("not on EC2", s["detail"])
            # Two tries of ~1 s each at most, and nothing else waits on it.
            self.assertLess(step(st, "metadata imds")["duration_ms"], 5000)
            self.assertEqual([e for e in st["errors"] if e["source"] == "imds"], [])


if __name__ == "__main__":
    unittest.main()
