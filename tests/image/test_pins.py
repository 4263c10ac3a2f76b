"""Pinned inputs come from the archive by version, never from what the host has installed
(recipes/lib.sh: fetch_debian_deb, kernel_source), and tools/update-pins moves the pins.

The update-pins cases run against a fake apt (apt-cache/apt-get on PATH): no network.
The kernel-source case needs the pinned .deb in the cache (./mkimage, run before ctest,
puts it there) and a private mount namespace (unshare -m, as root) to plant a fake
/usr/src/linux-source-6.1.tar.xz without touching the host.
"""
import os
import shutil
import subprocess
import tempfile
import textwrap
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pin(name: str) -> str:
    with open(os.path.join(TOP, "recipes", "versions")) as fh:
        for line in fh:
            if line.startswith(name + "="):
                return line.strip().split("=", 1)[1]
    raise KeyError(name)


def write_exe(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(textwrap.dedent(text))
    os.chmod(path, 0o755)


class FakeHostPackage(unittest.TestCase):
    """A newer linux-source-6.1 'installed' on the host changes neither the key nor the source."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.bin = os.path.join(self.tmp.name, "bin")
        os.makedirs(self.bin)
        # dpkg-query and dpkg -s answer that linux-source-6.1 9.9.9-1 is installed.
        write_exe(os.path.join(self.bin, "dpkg-query"), """\
            #!/bin/sh
            case "$*" in *linux-source*) printf '9.9.9-1'; [ "${*#*Status}" != "$*" ] && printf 'install ok installed'; exit 0;; esac
            exec /usr/bin/dpkg-query "$@"
            """)

    def tearDown(self):
        self.tmp.cleanup()

    def hashes(self, env):
        r = subprocess.run([os.path.join(TOP, "mkimage"), "--print-hashes"], env=env,
                           capture_output=True, text=True, check=True)
        return r.stdout

    def test_cache_keys_ignore_the_installed_package(self):
        plain = self.hashes(dict(os.environ))
        faked = self.hashes(dict(os.environ, PATH=self.bin + ":" + os.environ["PATH"]))
        self.assertEqual(plain, faked)
        self.assertIn("kernel ", plain)

    def test_kernel_source_comes_from_the_pinned_deb(self):
        cache = os.environ.get("LIFEBOAT_CACHE") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "lifeboat")
        ver = pin("linux-source-6.1")
        if not os.path.isfile(os.path.join(cache, "src", f"linux-source-6.1_{ver}", ".done")):
            self.fail(f"the pinned linux-source-6.1 {ver} .deb is not in {cache}/src: run ./mkimage first")
        if shutil.which("unshare") is None or os.geteuid() != 0:
            self.skipTest("needs root and unshare -m to plant a fake /usr/src")
        # A fake, newer kernel tarball in /usr/src (only inside a private mount namespace).
        fake = os.path.join(self.tmp.name, "fake-src")
        os.makedirs(os.path.join(fake, "linux-source-6.1"))
        with open(os.path.join(fake, "linux-source-6.1", "Makefile"), "w") as fh:
            fh.write("VERSION = 9\nPATCHLEVEL = 9\nSUBLEVEL = 9\n")
        subprocess.run(["tar", "-cJf", os.path.join(fake, "linux-source-6.1.tar.xz"), "-C", fake,
                        "linux-source-6.1"], check=True)
        out = os.path.join(self.tmp.name, "out")
        os.makedirs(out)
        script = f"""
            set -euo pipefail
            mount -t tmpfs none /usr/src
            cp {fake}/linux-source-6.1.tar.xz /usr/src/
            export TOP={TOP} CACHE={cache}
            die() {{ echo "die: $*" >&2; exit 1; }}
            pin() {{ sed -n "s/^$1=//p" "$TOP/recipes/versions"; }}
            source "$TOP/recipes/lib.sh"
            cd {out}
            kernel_source --strip-components=1 linux-source-6.1/Makefile
            """
        r = subprocess.run(["unshare", "-m", "bash", "-c", script],
                           env=dict(os.environ, PATH=self.bin + ":" + os.environ["PATH"]),
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "Makefile")) as fh:
            head = fh.read(400)
        upstream = ver.split("-")[0].split(".")  # 6.1.192-2 -> 6, 1, 192
        self.assertIn(f"SUBLEVEL = {upstream[2]}", head)
        self.assertNotIn("SUBLEVEL = 9\n", head)


FAKE_APT_CACHE = """\
    #!/bin/sh
    # apt-cache madison NAME: the archive lists foo 1.0-1, 1.1-1, 1.2-1 (1.2-1's files 404),
    # linux-source-6.1 2.0-1 and 2.0-2 (binary; its source, linux, 2.0-3), gone 3.1-1 only.
    [ "$1" = madison ] || exit 1
    case $2 in
      foo) for v in 1.0-1 1.1-1 1.2-1; do echo "       foo |  $v | http://mirror bookworm/main Sources"; done;;
      linux-source-6.1) for v in 2.0-1 2.0-2; do echo "linux-source-6.1 |  $v | http://mirror bookworm/main amd64 Packages"; done
            echo "linux |  2.0-3 | http://mirror bookworm/main Sources";;
      gone) echo "gone | 3.1-1 | http://mirror bookworm/main Sources";;
    esac
    """
FAKE_APT_GET = """\
    #!/bin/sh
    # apt-get source --download-only -qq NAME=VER | apt-get download -qq NAME=VER
    for last; do :; done
    echo "$*" >>"$FAKE_APT_LOG"
    case $last in
      foo=1.2-1|gone=3.1-1) echo "E: Failed to fetch http://mirror/$last  404  Not Found" >&2; exit 100;;
    esac
    touch "$(echo "$last" | tr '=' '_').fetched"
    """


class UpdatePins(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        d = self.tmp.name
        self.bin = os.path.join(d, "bin")
        os.makedirs(self.bin)
        write_exe(os.path.join(self.bin, "apt-cache"), FAKE_APT_CACHE)
        write_exe(os.path.join(self.bin, "apt-get"), FAKE_APT_GET)
        self.versions = os.path.join(d, "versions")
        self.env = dict(os.environ, PATH=self.bin + ":" + os.environ["PATH"],
                        LIFEBOAT_CACHE=os.path.join(d, "cache"), FAKE_APT_LOG=os.path.join(d, "apt.log"))

    def tearDown(self):
        self.tmp.cleanup()

    def run_pins(self, text, *args):
        with open(self.versions, "w") as fh:
            fh.write(text)
        r = subprocess.run([os.path.join(TOP, "tools", "update-pins"), "--versions", self.versions, *args],
                           env=self.env, capture_output=True, text=True)
        with open(self.versions) as fh:
            return r, fh.read()

    def test_dry_run_prints_moves_and_writes_nothing(self):
        text = "# pins\nfoo=1.0-1\nzig=0.11.0\n"
        r, after = self.run_pins(text, "--dry-run")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(after, text)
        self.assertIn("foo: 1.0-1 -> 1.1-1 (would move)", r.stdout)
        self.assertIn("1.2-1 is listed but cannot be downloaded", r.stdout)
        self.assertIn("zig: 0.11.0 (not a Debian package", r.stdout)

    def test_moves_to_the_newest_downloadable_version(self):
        r, after = self.run_pins("# pins\nfoo=1.0-1\nzig=0.11.0\n")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(after, "# pins\nfoo=1.1-1\nzig=0.11.0\n")
        self.assertIn("foo: 1.0-1 -> 1.1-1", r.stdout)
        # The verified download is where mkimage looks for it.
        self.assertTrue(os.path.isfile(os.path.join(self.env["LIFEBOAT_CACHE"], "src", "foo_1.1-1", ".done")))

    def test_the_kernel_is_a_binary_package(self):
        r, after = self.run_pins("linux-source-6.1=2.0-1\n")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(after, "linux-source-6.1=2.0-2\n")
        with open(self.env["FAKE_APT_LOG"]) as fh:
            self.assertIn("download -qq linux-source-6.1=2.0-2", fh.read())

    def test_newest_already(self):
        r, after = self.run_pins("foo=1.1-1\n")
        self.assertEqual(r.returncode, 0)
        self.assertIn("foo: 1.1-1 (newest)", r.stdout)

    def test_a_pin_that_left_the_archive_fails_clearly(self):
        r, after = self.run_pins("gone=3.0-1\nmissing=1\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("gone: error: 3.0-1 is pinned but no longer in the archive", r.stdout)
        self.assertIn("missing: error: no version listed", r.stdout)
        self.assertEqual(after, "gone=3.0-1\nmissing=1\n")


if __name__ == "__main__":
    unittest.main()
