"""Boot harness: start lifeboat under QEMU, talk to its serial console, SSH in, always kill QEMU.

Used by the boot tests (tests/boot/) and by qemu/run. Standard library only.

Safety rules (see DEVELOPERS.md): TCG unless LIFEBOAT_KVM=1; user networking with restrict=on and
host forwards on 127.0.0.1 only; a hard wall-clock limit on every QEMU; QEMU killed by its own PID
when the test ends, fails or is interrupted.

Environment:
  LIFEBOAT_TIMEOUT_SCALE  multiply every wait (default 1; raise it on slow machines)
  LIFEBOAT_VM_LIMIT       hard wall-clock limit of one QEMU in seconds (default 900)
  LIFEBOAT_KVM=1          use KVM (off by default: it is broken on the CI machines)
  LIFEBOAT_OUT            where vmlinuz and initramfs.img are (default: <repo>/out)
  LIFEBOAT_KEEP_LOGS      directory where console logs are kept (default: a temp dir)
"""
from __future__ import annotations

import atexit
import os
import re
import shlex
import signal
import socket
import subprocess
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.environ.get("LIFEBOAT_OUT", os.path.join(REPO, "out"))
SCALE = float(os.environ.get("LIFEBOAT_TIMEOUT_SCALE", "1"))
HARD_LIMIT = float(os.environ.get("LIFEBOAT_VM_LIMIT", "900"))

_live: set["VM"] = set()


def _kill_all(*_args) -> None:
    for vm in list(_live):
        vm.kill()


atexit.register(_kill_all)


def _on_signal(signum, _frame):
    _kill_all()
    raise SystemExit(128 + signum)


for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    try:
        signal.signal(_sig, _on_signal)
    except ValueError:  # not the main thread
        pass


class Timeout(AssertionError):
    """A wait ran out; the message carries the end of the console."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VM:
    """One QEMU running lifeboat. Use as a context manager so QEMU is always killed."""

    def __init__(self, append: str = "", disks: list[str] | tuple = (), mem: int = 256,
                 extra: list[str] | tuple = (), kernel: str | None = None,
                 initrd: str | None = None, net: bool = True, guestfwd: str | None = None,
                 smp: int = 1, name: str = "vm", user_net: str | None = None, qmp: bool = False,
                 limit: float | None = None, boot_from_disk: bool = False):
        """user_net: extra `-netdev user` options, e.g. "net=169.254.0.0/16,host=169.254.0.2,
        dhcpstart=169.254.0.15" (guestfwd only accepts addresses inside the user network).
        limit: this QEMU's hard wall-clock limit in seconds (default LIFEBOAT_VM_LIMIT).
        boot_from_disk: no -kernel: the firmware boots the first disk (a repaired guest)."""
        self.kernel = kernel or os.path.join(OUT, "vmlinuz")
        self.initrd = initrd or os.path.join(OUT, "initramfs.img")
        self.boot_from_disk = boot_from_disk
        for f in () if boot_from_disk else (self.kernel, self.initrd):
            if not os.path.exists(f):
                raise FileNotFoundError(f"{f} missing: run ./mkimage first")
        self.append = append
        self.disks = list(disks)
        self.mem = mem
        self.extra = list(extra)
        self.net = net
        self.guestfwd = guestfwd
        self.user_net = user_net
        self.smp = smp
        self.limit = HARD_LIMIT if limit is None else limit
        self.ssh_port = free_port() if net else None
        logdir = os.environ.get("LIFEBOAT_KEEP_LOGS") or tempfile.mkdtemp(prefix="lifeboat-vm-")
        os.makedirs(logdir, exist_ok=True)
        self.log_path = os.path.join(logdir, f"{name}-{os.getpid()}-{int(time.time())}.console.log")
        # QMP (system_powerdown, device_del): a unix socket in a private directory.
        self.qmp_path = os.path.join(tempfile.mkdtemp(prefix="lifeboat-qmp-"), "qmp.sock") if qmp else None
        self.proc: subprocess.Popen | None = None
        self._buf = bytearray()
        self._cursor = 0
        self._cond = threading.Condition()
        self._eof = False
        self._marker = 0
        self.started_at = 0.0

    # ---- lifecycle ------------------------------------------------------------------
    def command(self) -> list[str]:
        accel = "kvm" if os.environ.get("LIFEBOAT_KVM") == "1" else "tcg"
        cmd = ["qemu-system-x86_64", "-accel", accel, "-m", str(self.mem), "-smp", str(self.smp),
               "-nodefaults", "-no-user-config", "-display", "none", "-vga", "none",
               "-no-reboot", "-serial", "stdio", "-monitor", "none", "-device", "virtio-rng-pci"]
        if not self.boot_from_disk:
            cmd += ["-kernel", self.kernel, "-initrd", self.initrd,
                    "-append", f"console=ttyS0 panic=-1 {self.append}".strip()]
        for i, d in enumerate(self.disks):
            cmd += ["-drive", f"file={d},format=raw,if=virtio,cache=unsafe,id=d{i}"]
        if self.net:
            netdev = f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{self.ssh_port}-:22"
            if self.user_net:
                netdev += f",{self.user_net}"
            if self.guestfwd:
                netdev += f",guestfwd={self.guestfwd}"
            cmd += ["-netdev", netdev, "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56"]
        if self.qmp_path:
            cmd += ["-qmp", f"unix:{self.qmp_path},server=on,wait=off"]
        return cmd + self.extra

    def start(self) -> "VM":
        self._logf = open(self.log_path, "wb")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        _live.add(self)
        threading.Thread(target=self._reader, daemon=True).start()
        self._watchdog = threading.Timer(self.limit, self.kill)
        self._watchdog.daemon = True
        self._watchdog.start()
        return self

    def _reader(self) -> None:
        assert self.proc and self.proc.stdout
        fd = self.proc.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            with self._cond:
                if not chunk:
                    self._eof = True
                    self._cond.notify_all()
                    return
                self._buf += chunk
                self._cond.notify_all()
            self._logf.write(chunk)
            self._logf.flush()

    def kill(self) -> None:
        """Kill QEMU by its own PID (never by name) and wait for it."""
        p = self.proc
        if p and p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        _live.discard(self)
        if getattr(self, "_watchdog", None):
            self._watchdog.cancel()

    def __enter__(self) -> "VM":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.kill()
        if exc[0] is not None:
            print(f"--- console log: {self.log_path}\n{self.tail(3000)}")

    def wait_exit(self, timeout: float) -> int:
        """Wait for QEMU to end by itself (poweroff); raise Timeout if it does not."""
        assert self.proc
        try:
            rc = self.proc.wait(timeout=timeout * SCALE)
        except subprocess.TimeoutExpired:
            raise Timeout(f"QEMU still running after {timeout * SCALE:.0f} s\n{self.tail()}")
        with self._cond:
            self._cond.wait_for(lambda: self._eof, timeout=5)
        _live.discard(self)
        return rc

    # ---- console ----------------------------------------------------------------------
    @property
    def console(self) -> str:
        with self._cond:
            return self._buf.decode("utf-8", "replace")

    def tail(self, n: int = 2000) -> str:
        return self.console[-n:]

    def expect(self, pattern: str, timeout: float = 60, since_start: bool = False) -> re.Match:
        """Wait until `pattern` (a regex) appears on the console after the cursor; move past it."""
        rx = re.compile(pattern.encode(), re.M)
        deadline = time.monotonic() + timeout * SCALE
        with self._cond:
            while True:
                m = rx.search(self._buf, 0 if since_start else self._cursor)
                if m:
                    self._cursor = m.end()
                    return m
                left = deadline - time.monotonic()
                if left <= 0 or self._eof:
                    why = "QEMU exited" if self._eof else f"{timeout * SCALE:.0f} s passed"
                    raise Timeout(f"no {pattern!r} on the console ({why}); last output:\n"
                                  f"{self._buf[-2500:].decode('utf-8', 'replace')}")
                self._cond.wait(timeout=min(left, 1.0))

    def wait_ready(self, timeout: float = 120) -> float:
        """Wait for `lifeboat: ready` (SSH and the consoles are up; disk work may still be
        running); return seconds since QEMU started."""
        self.expect(r"lifeboat: ready\r?$", timeout)
        return time.monotonic() - self.started_at

    def wait_disks(self, timeout: float = 600) -> float:
        """Wait for `lifeboat: disks: done: ...` (detection and checks finished, status.json
        final); return seconds since QEMU started. Does not move the cursor."""
        cursor = self._cursor
        try:
            self.expect(r"lifeboat: disks: done: .*$", timeout, since_start=True)
        finally:
            self._cursor = cursor
        return time.monotonic() - self.started_at

    def qmp(self, execute: str, **arguments) -> dict:
        """One QMP command (the VM must be made with qmp=True); returns QEMU's answer."""
        import json
        assert self.qmp_path, "VM(qmp=True) needed"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(30)
            s.connect(self.qmp_path)
            f = s.makefile("rw")
            json.loads(f.readline())  # greeting
            f.write(json.dumps({"execute": "qmp_capabilities"}) + "\n")
            f.flush()
            json.loads(f.readline())
            msg = {"execute": execute}
            if arguments:
                msg["arguments"] = arguments
            f.write(json.dumps(msg) + "\n")
            f.flush()
            while True:  # skip asynchronous events
                answer = json.loads(f.readline())
                if "return" in answer or "error" in answer:
                    return answer

    def send(self, text: str) -> None:
        assert self.proc and self.proc.stdin
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def sh(self, cmd: str, timeout: float = 30) -> tuple[str, int]:
        """Run `cmd` in the serial console shell; return (output, exit status).

        The output is framed by two markers that only the shell's output can contain (the
        echoed command line reads `"LBS""1..."`), so line wrapping and typed-ahead echoes do
        not matter. init's own `lifeboat: ` log lines, which may interleave, are dropped."""
        self._marker += 1
        tag = f"{self._marker}x{os.getpid()}"
        self.send(f'echo "LBS""{tag}"; {cmd}; echo "LBE""{tag}" $?\n')
        self.expect(rf"LBS{tag}\r?\n", timeout)
        start = self._cursor
        m = self.expect(rf"LBE{tag} (\d+)\r?\n", timeout)
        raw = self._buf[start:m.start()].decode("utf-8", "replace").replace("\r", "")
        lines = [line for line in raw.split("\n") if not line.startswith("lifeboat: ")]
        return "\n".join(lines).strip("\n"), int(m.group(1))

    # ---- SSH ----------------------------------------------------------------------------
    def ssh_args(self, key: str | None = None) -> list[str]:
        # A loaded host stalls a TCG guest for seconds (12 s measured while the host flushed a
        # fresh disk image): keepalives give a silent session 60 s, the banner 30 s.
        args = ["-p", str(self.ssh_port), "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", "ConnectTimeout=30", "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=12"]
        if key:
            args += ["-i", key, "-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no",
                     "-o", "BatchMode=yes"]
        return args

    def ssh(self, cmd: str, key: str | None = None, password: str | None = None,
            timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess:
        argv = ["ssh", *self.ssh_args(key), "root@127.0.0.1", cmd]
        if password is not None:
            argv = ["sshpass", "-e", *argv[:1], "-o", "PubkeyAuthentication=no",
                    "-o", "PreferredAuthentications=password,keyboard-interactive", *argv[1:]]
        env = dict(os.environ, SSHPASS=password or "")
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout * SCALE, env=env)
        if check and r.returncode != 0:
            raise AssertionError(f"ssh {cmd!r} failed ({r.returncode}): {r.stderr}")
        return r

    def wait_ssh(self, key: str | None = None, password: str | None = None,
                 timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout * SCALE
        last = ""
        while time.monotonic() < deadline:
            try:
                r = self.ssh("true", key=key, password=password, timeout=15, check=False)
                if r.returncode == 0:
                    return
                last = r.stderr
            except subprocess.TimeoutExpired:
                last = "timeout"
            time.sleep(1)
        raise Timeout(f"no SSH login within {timeout * SCALE:.0f} s: {last}\n{self.tail()}")


def overlay_initrd(dest: str, files: dict[str, tuple[str | bytes, int]], base: str | None = None) -> str:
    """Writes `base` (default: the image's initramfs.img) followed by an uncompressed cpio of
    `files` ({"/sbin/e2fsck": (text, 0o755)}; bytes for a binary, e.g. a static tool) to
    `dest`: the kernel unpacks both, the second over the first, so a test can put a stand-in
    tool into the real image."""
    base = base or os.path.join(OUT, "initramfs.img")
    with tempfile.TemporaryDirectory(prefix="lifeboat-overlay-") as root:
        names = []
        for path, (content, mode) in files.items():
            rel = path.lstrip("/")
            os.makedirs(os.path.join(root, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(root, rel), "wb") as fh:
                fh.write(content if isinstance(content, bytes) else content.encode())
            os.chmod(os.path.join(root, rel), mode)
            names.append(rel)
        cpio = subprocess.run(["cpio", "-o", "-H", "newc", "--quiet", "--owner=0:0"], cwd=root,
                              input="\n".join(names).encode(), capture_output=True, check=True).stdout
    with open(base, "rb") as fh:
        data = fh.read()
    pad = (-len(data)) % 4
    with open(dest, "wb") as fh:
        fh.write(data + b"\0" * pad + cpio)
    return dest


def _newc_end(data: bytes, pos: int) -> int:
    """The offset just past the TRAILER!!! entry of the newc cpio archive at `pos`."""
    while True:
        if data[pos:pos + 6] != b"070701":
            raise ValueError(f"initramfs: no cpio header at offset {pos}")
        namesize, filesize = int(data[pos + 94:pos + 102], 16), int(data[pos + 54:pos + 62], 16)
        name = data[pos + 110:pos + 110 + namesize - 1]
        pos += (110 + namesize + 3) & ~3
        pos += (filesize + 3) & ~3
        if name == b"TRAILER!!!":
            return pos


def initramfs_archives(data: bytes) -> list[bytes]:
    """The uncompressed cpio archives of an initramfs, in the kernel's order: plain newc
    archives and zstd, lz4 or lzop compressed ones, concatenated (zero padding between them)."""
    out, pos = [], 0
    while pos < len(data):
        if data[pos] == 0:
            pos += 1
        elif data[pos:pos + 6] == b"070701":
            end = _newc_end(data, pos)
            out.append(data[pos:end])
            pos = end
        else:  # a compressed archive runs to the end (images and overlays put them last)
            tool = {b"\x28\xb5\x2f\xfd": "zstd", b"\x02\x21\x4c\x18": "lz4", b"\x89LZO": "lzop"}.get(data[pos:pos + 4])
            if tool is None:
                raise ValueError(f"initramfs: unknown data at offset {pos}")
            out.append(subprocess.run([tool, "-dc"], input=data[pos:], capture_output=True, check=True).stdout)
            break
    return out


def unpack_initramfs(img: str, dest: str, tools: bool = True) -> None:
    """Unpacks an initramfs into `dest` as the kernel would; with `tools`, also the tools
    squashfs into the directory PID 1 mounts it on (usr/lib/lifeboat/tools)."""
    with open(img, "rb") as fh:
        data = fh.read()
    for archive in initramfs_archives(data):
        subprocess.run(["cpio", "-idm", "--quiet", "--no-absolute-filenames"], cwd=dest, input=archive,
                       capture_output=True, check=True)
    sq = os.path.join(dest, "usr/lib/lifeboat/tools.sqfs")
    if tools and os.path.exists(sq):
        subprocess.run(["unsquashfs", "-f", "-no-xattrs", "-q", "-d", os.path.join(dest, "usr/lib/lifeboat/tools"), sq],
                       capture_output=True, check=True)


def quote(s: str) -> str:
    return shlex.quote(s)
